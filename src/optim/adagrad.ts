/**
 * Adagrad (torch.optim.Adagrad).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { beginOp } from "../storage.ts";
import { kernels } from "../wasm.ts";
import {
  checkNonNegative,
  Optimizer,
  type ParamGroup,
  type Params,
  type ParamState,
  readPtr,
  stateBuffer,
  withDefaults,
  writePtr,
} from "./optimizer.ts";

/** Options of `Adagrad` (PyTorch's names in camelCase, PyTorch's defaults). */
export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning rate decay (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: AdagradOptions = {
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  maximize: false,
};

/**
 * Adagrad, as PyTorch 1.13's. With learning rate γ, lr decay η, weight decay
 * λ, for every parameter θ with gradient g at step t (the sum s starts at
 * `initialAccumulatorValue`):
 *
 * ```text
 * g ← -g                     if maximize
 * g ← g + λ θ                if λ ≠ 0
 * γ̃ ← γ / (1 + (t - 1) η)
 * s ← s + g²
 * θ ← θ - γ̃ g / (√s + ε)
 * ```
 *
 * State per parameter: `step`, `sum` (created on the first step, from the
 * group's `initialAccumulatorValue`).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.Adagrad([w], { lr: 0.5 });
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // about [0.5, -0.5]
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  /** Parameters (or groups) and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<AdagradOptions>,
    options: Partial<AdagradOptions> = {},
  ) {
    super("Adagrad", params, withDefaults("Adagrad", DEFAULTS, options));
  }

  /** PyTorch's checks on Adagrad's hyperparameters. */
  protected checkOptions(o: AdagradOptions): void {
    checkNonNegative(o.lr, "learning rate");
    checkNonNegative(o.lrDecay, "lr_decay value");
    checkNonNegative(o.weightDecay, "weight_decay value");
    checkNonNegative(
      o.initialAccumulatorValue,
      "initial_accumulator_value value",
    );
    checkNonNegative(o.eps, "epsilon value");
  }

  /** One fused Adagrad update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<AdagradOptions>,
    state: ParamState,
  ): void {
    const { lr, lrDecay, weightDecay, eps, maximize } = group;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const sum = stateBuffer(state, "sum", param, group.initialAccumulatorValue);
    beginOp();
    kernels.adagradStep(
      writePtr(param),
      readPtr(grad),
      writePtr(sum),
      param.numel(),
      -lr / (1 + (step - 1) * lrDecay),
      eps,
      weightDecay,
      (maximize ? 1 : 0) | (weightDecay !== 0 ? 16 : 0),
    );
  }
}
