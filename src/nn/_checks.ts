/**
 * Argument checks shared by the layers, losses and their functional forms,
 * with PyTorch's messages where it has them.
 *
 * @module
 */
import { Tensor } from "../tensor.ts";
import { broadcastShapes, formatShape, sameShape } from "../shape.ts";

/** Throws a TypeError unless `x` is a Tensor. */
export function checkTensor(
  x: unknown,
  fn: string,
  arg: string,
): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    throw new TypeError(
      `${fn}(): argument '${arg}' must be Tensor, not ${
        x === null ? "null" : Array.isArray(x) ? "Array" : typeof x
      }`,
    );
  }
}

/**
 * Refuses a target whose shape differs from the input's: PyTorch only warns
 * and broadcasts, which silently computes the wrong loss.
 */
export function checkSameShape(input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `Using a target size (${
        formatShape(target.shape)
      }) that is different to the input size (${
        formatShape(input.shape)
      }). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  }
}

/** Refuses a weight that does not broadcast to `shape` without growing it. */
export function checkWeightShape(
  weight: Tensor,
  shape: readonly number[],
  name: string,
): void {
  let ok = true;
  try {
    ok = sameShape(broadcastShapes(shape, weight.shape), shape);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new RangeError(
      `${name} of shape ${
        formatShape(weight.shape)
      } does not broadcast to the input's shape ${formatShape(shape)}`,
    );
  }
}

/** Validates a dropout probability with PyTorch's message. */
export function checkDropoutP(p: unknown): asserts p is number {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(
      `dropout probability has to be between 0 and 1, but got ${p}`,
    );
  }
}
