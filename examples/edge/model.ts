/**
 * The model the edge example serves: a small MLP regressor. `train.ts`
 * trains it and writes `model.safetensors`; `server.ts` loads those weights.
 *
 * @module
 */
import { nn, type Tensor } from "../../mod.ts";

/** Number of input features. */
export const INPUT_FEATURES = 3;
/** Number of outputs. */
export const OUTPUT_FEATURES = 2;

/** Linear -> Tanh -> Linear. */
export class Regressor extends nn.Module {
  net = new nn.Sequential(
    new nn.Linear(INPUT_FEATURES, 16),
    new nn.Tanh(),
    new nn.Linear(16, OUTPUT_FEATURES),
  );

  override forward(x: Tensor): Tensor {
    return this.net.call(x);
  }
}

/** The function the model learns: two smooth targets of three inputs. */
export function target(x: readonly number[]): [number, number] {
  return [Math.sin(x[0]) + 0.5 * x[1] * x[2], x[0] - 0.25 * x[1] + 0.1];
}
