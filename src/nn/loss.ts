/**
 * Loss modules: each resolves its options once (the legacy `sizeAverage` /
 * `reduce` flags included) and calls its functional form.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import {
  binaryCrossEntropy,
  type BinaryCrossEntropyOptions,
  binaryCrossEntropyWithLogits,
  type BinaryCrossEntropyWithLogitsOptions,
  crossEntropy,
  type CrossEntropyOptions,
  l1Loss,
  mseLoss,
} from "./functional.ts";
import {
  type Reduction,
  type ReductionOptions,
  resolveReduction,
} from "./_reduction.ts";
import { checkTensor } from "./_checks.ts";

function optionalTensor(
  t: Tensor | null | undefined,
  loss: string,
  name: string,
): Tensor | null {
  if (t === undefined || t === null) return null;
  checkTensor(t, loss, name);
  return t;
}

/**
 * Mean squared error between input and target of the same shape.
 *
 * The legacy flags resolve as in PyTorch, with a one-time deprecation
 * warning: `reduce: false` gives "none"; otherwise `sizeAverage: false`
 * gives "sum"; otherwise "mean"; either flag overrides `reduction`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "../../mod.ts";
 * const criterion = new nn.MSELoss({ reduction: "sum" });
 * console.log(criterion.call(tensor([[1], [2]]), tensor([[2], [4]])).item()); // 5
 * ```
 */
export class MSELoss extends Module {
  /** The resolved reduction. */
  readonly reduction: Reduction;

  /** A criterion with `reduction` (default "mean") or the legacy flags. */
  constructor(options: ReductionOptions = {}) {
    const reduction = resolveReduction(options);
    super();
    this.reduction = reduction;
  }

  /** The loss of `input` against `target`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error between input and target of the same shape. */
export class L1Loss extends Module {
  /** The resolved reduction. */
  readonly reduction: Reduction;

  /** A criterion with `reduction` (default "mean") or the legacy flags. */
  constructor(options: ReductionOptions = {}) {
    const reduction = resolveReduction(options);
    super();
    this.reduction = reduction;
  }

  /** The loss of `input` against `target`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Binary cross entropy between probabilities (in [0, 1]) and targets of the
 * same shape; each log is clamped to >= -100, as PyTorch. `weight` (a
 * buffer) rescales each element.
 */
export class BCELoss extends Module {
  /** The resolved reduction. */
  readonly reduction: Reduction;
  /** The rescaling weight (a buffer), or null. */
  declare readonly weight: Tensor | null;

  /** A criterion with `weight`, `reduction` (default "mean") or the legacy flags. */
  constructor(options: BinaryCrossEntropyOptions = {}) {
    const reduction = resolveReduction(options);
    const weight = optionalTensor(options.weight, "BCELoss", "weight");
    super();
    this.reduction = reduction;
    this.registerBuffer("weight", weight);
  }

  /** The loss of `input` against `target`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, {
      reduction: this.reduction,
      weight: this.weight,
    });
  }
}

/**
 * Binary cross entropy on logits (a sigmoid folded into the loss, computed
 * stably). `posWeight` (per class, broadcast along the last dim) scales the
 * positive targets' terms; `weight` rescales each element. Both are buffers.
 */
export class BCEWithLogitsLoss extends Module {
  /** The resolved reduction. */
  readonly reduction: Reduction;
  /** The rescaling weight (a buffer), or null. */
  declare readonly weight: Tensor | null;
  /** The positive-class weight (a buffer), or null. */
  declare readonly posWeight: Tensor | null;

  /** A criterion with `weight`, `posWeight`, `reduction` (default "mean") or the legacy flags. */
  constructor(options: BinaryCrossEntropyWithLogitsOptions = {}) {
    const reduction = resolveReduction(options);
    const weight = optionalTensor(
      options.weight,
      "BCEWithLogitsLoss",
      "weight",
    );
    const posWeight = optionalTensor(
      options.posWeight,
      "BCEWithLogitsLoss",
      "posWeight",
    );
    super();
    this.reduction = reduction;
    this.registerBuffer("weight", weight);
    this.registerBuffer("posWeight", posWeight);
  }

  /** The loss of `input` (logits) against `target`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      posWeight: this.posWeight,
    });
  }
}

/**
 * Cross entropy of logits against class indices (integers; `ignoreIndex`,
 * default -100, skips a target) or class probabilities shaped like the
 * input. `weight` (a buffer) weights each class; `labelSmoothing` mixes the
 * target with the uniform distribution.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "../../mod.ts";
 * const criterion = new nn.CrossEntropyLoss();
 * const loss = criterion.call(tensor([[0, 0]]), tensor([1]));
 * console.log(loss.item().toFixed(4)); // 0.6931
 * ```
 */
export class CrossEntropyLoss extends Module {
  /** The resolved reduction. */
  readonly reduction: Reduction;
  /** The class weights (a buffer), or null. */
  declare readonly weight: Tensor | null;
  /** The target value that is skipped. */
  readonly ignoreIndex: number;
  /** The label smoothing amount. */
  readonly labelSmoothing: number;

  /** A criterion with `weight`, `ignoreIndex`, `labelSmoothing`, `reduction` (default "mean") or the legacy flags. */
  constructor(options: CrossEntropyOptions = {}) {
    const reduction = resolveReduction(options);
    const weight = optionalTensor(options.weight, "CrossEntropyLoss", "weight");
    const ignoreIndex = options.ignoreIndex ?? -100;
    const labelSmoothing = options.labelSmoothing ?? 0;
    if (!Number.isInteger(ignoreIndex)) {
      throw new TypeError(`ignoreIndex must be an integer, got ${ignoreIndex}`);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new RangeError(
        `label_smoothing must be between 0.0 and 1.0. Got: ${labelSmoothing}`,
      );
    }
    if (weight !== null && weight.ndim !== 1) {
      throw new RangeError(
        `CrossEntropyLoss: weight must be 1-D (one value per class), got shape [${weight.shape}]`,
      );
    }
    super();
    this.reduction = reduction;
    this.registerBuffer("weight", weight);
    this.ignoreIndex = ignoreIndex;
    this.labelSmoothing = labelSmoothing;
  }

  /** The loss of `input` (logits) against `target`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}
