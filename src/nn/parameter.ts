/**
 * `Parameter`: the tensor type that `Module` discovery collects.
 *
 * @module
 */
import { Tensor, type TensorOptions } from "../tensor.ts";
import { formatTensor } from "../format.ts";
import { noGrad } from "../autograd/engine.ts";
import { copyShape } from "../shape.ts";

/**
 * A tensor that is a module's learnable weight: it requires grad by default
 * and is found by `Module.parameters()` when held in a property. Like
 * `torch.nn.Parameter(data)`, it shares `data`'s storage (a non-contiguous
 * `data` is copied first, so that optimizers can update it in place) and is
 * always a leaf.
 *
 * @example
 * ```ts
 * import { nn, zeros } from "../../mod.ts";
 * const w = new nn.Parameter(zeros(2, 3));
 * console.log(w.requiresGrad, w.isLeaf); // true true
 * ```
 */
export class Parameter extends Tensor {
  /** Wraps `data` (sharing its storage); `requiresGrad` defaults to true. */
  constructor(data: Tensor, options: TensorOptions = {}) {
    if (!(data instanceof Tensor)) {
      throw new TypeError(
        `Parameter expects a Tensor as data, got ${
          data === null ? "null" : typeof data
        }`,
      );
    }
    const src = data.isContiguous() ? data : noGrad(() => data.contiguous());
    super(
      src._storage,
      copyShape(src.shape),
      copyShape(src._strides),
      src._offset,
    );
    this.requiresGrad = options.requiresGrad ?? true;
  }

  /** Prints like PyTorch: `Parameter containing:` then the tensor. */
  override toString(): string {
    const suffix = this.requiresGrad ? ", requiresGrad=true" : "";
    return `Parameter containing:\n${
      formatTensor(this.toFloat32Array(), this.shape, suffix)
    }`;
  }
}
