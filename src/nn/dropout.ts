/**
 * `Dropout`, which is active only in training mode.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import { dropout } from "./functional.ts";
import { checkDropoutP } from "./_checks.ts";

/**
 * In training mode, zeroes each element with probability `p` (default 0.5)
 * and scales the rest by `1 / (1 - p)`; in evaluation mode (`eval()`),
 * returns its input unchanged.
 *
 * @example
 * ```ts
 * import { nn, ones } from "../../mod.ts";
 * const drop = new nn.Dropout(0.5);
 * const y = drop.call(ones(1000));
 * console.log(y.toFloat32Array().every((v) => v === 0 || v === 2)); // true
 * drop.eval();
 * console.log(drop.call(ones(3)).toArray()); // [1, 1, 1]
 * ```
 */
export class Dropout extends Module {
  /** The probability of zeroing an element. */
  readonly p: number;

  /** A dropout layer with probability `p`. */
  constructor(p = 0.5) {
    checkDropoutP(p);
    super();
    this.p = p;
  }

  /** `dropout(input, p, { training })`. */
  override forward(input: Tensor): Tensor {
    return dropout(input, this.p, { training: this.training });
  }

  /** `p=0.5, inplace=False`. */
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}
