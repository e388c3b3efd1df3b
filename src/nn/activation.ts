/**
 * Activation layers: `ReLU`, `Sigmoid`, `Tanh`, `Softmax`, `LogSoftmax`.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import { logSoftmax, relu, sigmoid, softmax, tanh } from "./functional.ts";

/**
 * `max(x, 0)` elementwise.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "../../mod.ts";
 * console.log(new nn.ReLU().call(tensor([-1, 2])).toArray()); // [0, 2]
 * ```
 */
export class ReLU extends Module {
  /** `max(input, 0)`. */
  override forward(input: Tensor): Tensor {
    return relu(input);
  }
}

/** `1 / (1 + e^-x)` elementwise. */
export class Sigmoid extends Module {
  /** `sigmoid(input)`. */
  override forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

/** `tanh(x)` elementwise. */
export class Tanh extends Module {
  /** `tanh(input)`. */
  override forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

/**
 * Softmax along `dim`: values in (0, 1) that sum to 1 along it.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "../../mod.ts";
 * const p = new nn.Softmax(1).call(tensor([[1, 1]]));
 * console.log(p.toArray()); // [[0.5, 0.5]]
 * ```
 */
export class Softmax extends Module {
  /** The dim to normalize along (null: PyTorch's deprecated implicit choice). */
  readonly dim: number | null;

  /** A softmax along `dim`. */
  constructor(dim?: number | null) {
    super();
    this.dim = dim ?? null;
  }

  /** `softmax(input, dim)`. */
  override forward(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }

  /** `dim=1`. */
  override extraRepr(): string {
    return `dim=${this.dim === null ? "None" : this.dim}`;
  }
}

/** Log of the softmax along `dim`, computed stably. */
export class LogSoftmax extends Module {
  /** The dim to normalize along (null: PyTorch's deprecated implicit choice). */
  readonly dim: number | null;

  /** A log-softmax along `dim`. */
  constructor(dim?: number | null) {
    super();
    this.dim = dim ?? null;
  }

  /** `logSoftmax(input, dim)`. */
  override forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim);
  }

  /** `dim=1`. */
  override extraRepr(): string {
    return `dim=${this.dim === null ? "None" : this.dim}`;
  }
}
