/**
 * `Flatten`, which merges a range of dims into one.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/**
 * Flattens dims `startDim` (default 1, keeping the batch dim) through
 * `endDim` (default -1) into one.
 *
 * @example
 * ```ts
 * import { nn, zeros } from "../../mod.ts";
 * console.log(new nn.Flatten().call(zeros(2, 3, 4)).shape); // [2, 12]
 * ```
 */
export class Flatten extends Module {
  /** First dim to flatten. */
  readonly startDim: number;
  /** Last dim to flatten. */
  readonly endDim: number;

  /** A layer flattening dims `startDim`..`endDim`. */
  constructor(startDim = 1, endDim = -1) {
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) {
      throw new TypeError(
        `Flatten: startDim and endDim must be integers, got ${startDim} and ${endDim}`,
      );
    }
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** `input.flatten(startDim, endDim)`. */
  override forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  /** `start_dim=1, end_dim=-1`. */
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
