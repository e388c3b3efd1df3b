/**
 * The stateless forms of the layers and losses (`torch.nn.functional`),
 * built from differentiable tensor ops so that autograd needs no new rules,
 * except two small ones below where composition would give NaN where
 * PyTorch gives a number.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "../../mod.ts";
 * const F = nn.functional;
 * const logits = tensor([[2, 0, -1]], { requiresGrad: true });
 * const loss = F.crossEntropy(logits, tensor([0]));
 * loss.backward();
 * console.log(loss.item() > 0, logits.grad!.shape); // true [1, 3]
 * ```
 *
 * @module
 */
import { randomUniform, type Tensor, tensor } from "../tensor.ts";
import { noGrad, record } from "../autograd/engine.ts";
import * as F from "../autograd/functions.ts";
import { binaryKernel, BinaryOp } from "../kernels.ts";
import { formatShape, normalizeDim, sameShape, shapeSize } from "../shape.ts";
import {
  applyReduction,
  type Reduction,
  type ReductionOptions,
  resolveReduction,
} from "./_reduction.ts";
import {
  checkDropoutP,
  checkSameShape,
  checkTensor,
  checkWeightShape,
} from "./_checks.ts";

export type { Reduction, ReductionOptions };

// ---- layers ----

/**
 * `input @ weight^T + bias` over the last dim of `input` (any leading dims),
 * with `weight` of shape `[outFeatures, inFeatures]` and `bias` `[outFeatures]`.
 */
export function linear(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
): Tensor {
  checkTensor(input, "linear", "input");
  checkTensor(weight, "linear", "weight");
  if (weight.ndim !== 2) {
    throw new RangeError(
      `linear(): weight must be 2-D [outFeatures, inFeatures], got shape ${
        formatShape(weight.shape)
      }`,
    );
  }
  if (input.ndim === 0) {
    throw new RangeError(
      "both arguments to linear need to be at least 1D, but they are 0D and 2D",
    );
  }
  const [outF, inF] = weight.shape;
  const k = input.shape[input.ndim - 1];
  if (k !== inF) {
    const rows = shapeSize(input.shape, 0, input.ndim - 1);
    throw new RangeError(
      `mat1 and mat2 shapes cannot be multiplied (${rows}x${k} and ${inF}x${outF})`,
    );
  }
  if (bias !== undefined && bias !== null) {
    checkTensor(bias, "linear", "bias");
    if (!(bias.ndim === 1 && bias.shape[0] === outF) && bias.ndim !== 0) {
      throw new RangeError(
        `linear(): bias must have shape [${outF}], got ${
          formatShape(bias.shape)
        }`,
      );
    }
  }
  if (bias && bias.ndim === 0) return F.linear(input, weight, null).add(bias);
  return F.linear(input, weight, bias ?? null);
}

// ---- activations ----

/** `max(x, 0)` elementwise. */
export function relu(input: Tensor): Tensor {
  checkTensor(input, "relu", "input");
  return input.relu();
}

/** `1 / (1 + e^-x)` elementwise. */
export function sigmoid(input: Tensor): Tensor {
  checkTensor(input, "sigmoid", "input");
  return input.sigmoid();
}

/** `tanh(x)` elementwise. */
export function tanh(input: Tensor): Tensor {
  checkTensor(input, "tanh", "input");
  return input.tanh();
}

const warnedImplicitDim = new Set<string>();

/** PyTorch's implicit softmax dim (0 for 0-, 1- and 3-D inputs, else 1), with its warning. */
function softmaxDim(name: string, input: Tensor, dim?: number | null): number {
  if (dim !== undefined && dim !== null) return normalizeDim(dim, input.ndim);
  const d = [0, 1, 3].includes(input.ndim) ? 0 : 1;
  const message =
    `Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`;
  if (!warnedImplicitDim.has(message)) {
    warnedImplicitDim.add(message);
    console.warn(message);
  }
  return d;
}

/** `x - max(x)` along `dim`; the max is a constant, as the result does not depend on it. */
function shiftByMax(input: Tensor, dim: number): Tensor {
  if (input.ndim === 0) return input.sub(input.detach());
  return input.sub(input.max(dim, { keepdim: true }).values.detach());
}

/**
 * `exp(x) / sum(exp(x))` along `dim`, computed stably (the max is
 * subtracted first). Without `dim`, PyTorch's deprecated implicit choice.
 */
export function softmax(input: Tensor, dim?: number | null): Tensor {
  checkTensor(input, "softmax", "input");
  const d = softmaxDim("softmax", input, dim);
  const e = shiftByMax(input, d).exp();
  return e.div(e.sum(d, { keepdim: true }));
}

/** `log(softmax(x))` along `dim`, computed stably as `x - max - log(sum(exp(x - max)))`. */
export function logSoftmax(input: Tensor, dim?: number | null): Tensor {
  checkTensor(input, "logSoftmax", "input");
  const d = softmaxDim("log_softmax", input, dim);
  const z = shiftByMax(input, d);
  return z.sub(z.exp().sum(d, { keepdim: true }).log());
}

/** Options of `dropout()`. */
export interface DropoutOptions {
  /** Apply dropout (default true); when false the input is returned as is. */
  training?: boolean;
}

/**
 * Zeroes each element with probability `p` (default 0.5) and scales the
 * kept ones by `1 / (1 - p)`, so the expected value is unchanged; returns
 * `input` itself when not `training` or when `p` is 0. Uses the generator
 * that `manualSeed` seeds.
 */
export function dropout(
  input: Tensor,
  p = 0.5,
  options: DropoutOptions = {},
): Tensor {
  checkTensor(input, "dropout", "input");
  checkDropoutP(p);
  if (!(options.training ?? true) || p === 0) return input;
  if (p === 1) return input.mul(0);
  const n = input.numel();
  const mask = new Float32Array(n);
  const keep = 1 - p, scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = randomUniform() < keep ? scale : 0;
  return input.mul(tensor(mask, { shape: input.shape }));
}

// ---- losses ----

/** Mean squared error `(input - target)^2`, reduced by `reduction` (default "mean"). */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions = {},
): Tensor {
  checkTensor(input, "mse_loss", "input");
  checkTensor(target, "mse_loss", "target");
  const reduction = resolveReduction(options);
  checkSameShape(input, target);
  return F.mseLoss(input, target, reduction);
}

/** Mean absolute error `|input - target|`, reduced by `reduction` (default "mean"). */
export function l1Loss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions = {},
): Tensor {
  checkTensor(input, "l1_loss", "input");
  checkTensor(target, "l1_loss", "target");
  const reduction = resolveReduction(options);
  checkSameShape(input, target);
  return applyReduction(input.sub(target).abs(), reduction);
}

/** Options of `binaryCrossEntropy()`. */
export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** A rescaling weight per element, broadcast to the input's shape. */
  weight?: Tensor | null;
}

/**
 * `-(y log x + (1 - y) log(1 - x))` with each log clamped to >= -100, as
 * PyTorch; its gradient is PyTorch's `(x - y) / max(x (1 - x), 1e-12)`,
 * finite where the composed form would give NaN (x exactly 0 or 1).
 */
function bceTerms(x: Tensor, y: Tensor): Tensor {
  const clampedLogs = () => {
    const logX = x.log().clamp(-100);
    const log1mX = x.neg().add(1).log().clamp(-100);
    return [logX, log1mX];
  };
  const out = noGrad(() => {
    const [logX, log1mX] = clampedLogs();
    return y.sub(1).mul(log1mX).sub(y.mul(logX));
  });
  return record(out, "BinaryCrossEntropyBackward0", [x, y], (g) => {
    const gx = x.requiresGrad
      ? g.mul(x.sub(y)).div(x.mul(x.neg().add(1)).clamp(1e-12))
      : null;
    let gy: Tensor | null = null;
    if (y.requiresGrad) {
      const [logX, log1mX] = clampedLogs();
      gy = g.mul(log1mX.sub(logX));
    }
    return [gx, gy];
  });
}

/**
 * Binary cross entropy between probabilities `input` (each in [0, 1]) and
 * `target` of the same shape, reduced by `reduction` (default "mean").
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyOptions = {},
): Tensor {
  checkTensor(input, "binary_cross_entropy", "input");
  checkTensor(target, "binary_cross_entropy", "target");
  const reduction = resolveReduction(options);
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `Using a target size (${
        formatShape(target.shape)
      }) that is different to the input size (${
        formatShape(input.shape)
      }) is deprecated. Please ensure they have the same size.`,
    );
  }
  const weight = options.weight ?? null;
  if (weight !== null) {
    checkTensor(weight, "binary_cross_entropy", "weight");
    checkWeightShape(weight, input.shape, "weight");
  }
  for (const v of input.toFloat32Array()) {
    if (!(v >= 0 && v <= 1)) {
      throw new RangeError("all elements of input should be between 0 and 1");
    }
  }
  let loss = bceTerms(input, target);
  if (weight !== null) loss = loss.mul(weight);
  return applyReduction(loss, reduction);
}

/** Options of `binaryCrossEntropyWithLogits()`. */
export interface BinaryCrossEntropyWithLogitsOptions
  extends BinaryCrossEntropyOptions {
  /** A weight of positive examples per class, broadcast along the last dim. */
  posWeight?: Tensor | null;
}

/**
 * Binary cross entropy on logits: `sigmoid` and the loss in one stable
 * formula (PyTorch's `max(-x, 0)` form), reduced by `reduction` (default
 * "mean"). With `posWeight`, positive targets' terms are scaled by it.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyWithLogitsOptions = {},
): Tensor {
  checkTensor(input, "binary_cross_entropy_with_logits", "input");
  checkTensor(target, "binary_cross_entropy_with_logits", "target");
  const reduction = resolveReduction(options);
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `Target size (${
        formatShape(target.shape)
      }) must be the same as input size (${formatShape(input.shape)})`,
    );
  }
  const weight = options.weight ?? null;
  const posWeight = options.posWeight ?? null;
  if (weight !== null) {
    checkTensor(weight, "binary_cross_entropy_with_logits", "weight");
    checkWeightShape(weight, input.shape, "weight");
  }
  if (posWeight !== null) {
    checkTensor(posWeight, "binary_cross_entropy_with_logits", "pos_weight");
    checkWeightShape(posWeight, target.shape, "pos_weight");
  }
  // log(1 + e^-x) = m + log(e^-m + e^(-x - m)) with m = max(-x, 0): no overflow
  const m = input.neg().clamp(0);
  const logTerm = m.neg().exp().add(input.neg().sub(m).exp()).log();
  const oneMinusTarget = target.neg().add(1);
  let loss: Tensor;
  if (posWeight !== null) {
    const logWeight = posWeight.sub(1).mul(target).add(1);
    loss = oneMinusTarget.mul(input).add(logWeight.mul(logTerm.add(m)));
  } else {
    loss = oneMinusTarget.mul(input).add(m).add(logTerm);
  }
  if (weight !== null) loss = loss.mul(weight);
  return applyReduction(loss, reduction);
}

/** Options of `crossEntropy()`. */
export interface CrossEntropyOptions extends ReductionOptions {
  /** A weight per class (shape `[C]`). */
  weight?: Tensor | null;
  /** A class-index target value that contributes nothing (default -100). */
  ignoreIndex?: number;
  /** Mixes the target with the uniform distribution by this amount, in [0, 1] (default 0). */
  labelSmoothing?: number;
}

/**
 * `x` where `mask` is nonzero, else 0, with gradient `g` routed the same
 * way. Unlike `x * mask`, an infinite `x` (a logit masked with -inf) in a
 * masked-out slot gives 0, not NaN: this is the gather of the target
 * class's log-probability.
 */
function keepWhere(x: Tensor, mask: Tensor): Tensor {
  const out = binaryKernel(BinaryOp.select, x, mask);
  return record(out, "GatherBackward0", [x], (g) => [
    binaryKernel(BinaryOp.select, g, mask),
  ]);
}

/**
 * Cross entropy between logits `input` (`[C]`, `[N, C]` or `[N, C, d1, ...]`)
 * and `target`: class indices (a tensor of integers shaped like `input`
 * without the class dim; values equal to `ignoreIndex` are skipped) or, when
 * shaped like `input`, class probabilities. As PyTorch:
 * `loss_i = -w[y_i] * log_softmax(x_i)[y_i]`, and "mean" divides by the sum
 * of the weights of the counted targets.
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  checkTensor(input, "cross_entropy", "input");
  checkTensor(target, "cross_entropy", "target");
  const reduction = resolveReduction(options);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const smoothing = options.labelSmoothing ?? 0;
  if (!Number.isInteger(ignoreIndex)) {
    throw new TypeError(`ignoreIndex must be an integer, got ${ignoreIndex}`);
  }
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(
      `label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`,
    );
  }
  if (input.ndim === 0) {
    throw new RangeError("Expected 1 or more dimensions (got 0)");
  }
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim];
  const weight = options.weight ?? null;
  if (weight !== null) {
    checkTensor(weight, "cross_entropy", "weight");
    if (weight.ndim !== 1 || weight.shape[0] !== C) {
      throw new RangeError(
        `weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${
          formatShape(weight.shape)
        }`,
      );
    }
  }
  // the weight viewed so that it broadcasts along the class dim
  const classShape = input.shape.map((s, i) => (i === classDim ? s : 1));
  const weightAlongClasses = weight?.reshape(classShape) ?? null;

  if (sameShape(input.shape, target.shape)) {
    if (ignoreIndex >= 0) {
      throw new RangeError(
        "ignore_index is not supported for floating point target",
      );
    }
    const logp = logSoftmax(input, classDim);
    const probs = smoothing > 0
      ? target.mul(1 - smoothing).add(smoothing / C)
      : target;
    const weighted = weightAlongClasses
      ? logp.mul(probs).mul(weightAlongClasses)
      : logp.mul(probs);
    if (reduction === "none") return weighted.sum(classDim).neg();
    const total = weighted.sum().neg();
    // PyTorch divides by the number of samples, whatever the weights
    return reduction === "sum" ? total : total.div(input.numel() / C);
  }

  const { oneHot, kept } = classMasks(
    input.shape,
    classDim,
    target,
    ignoreIndex,
  );
  const logp = logSoftmax(input, classDim);
  const picked = keepWhere(logp, oneHot).sum(classDim);
  // w[y_i] for counted targets, 0 for ignored ones
  const targetWeight = weightAlongClasses
    ? oneHot.mul(weightAlongClasses).sum(classDim)
    : kept;
  const nll = picked.mul(targetWeight).neg();
  const denominator = () => targetWeight.sum();
  let loss: Tensor;
  if (reduction === "none") loss = nll;
  else if (reduction === "sum") loss = nll.sum();
  else loss = nll.sum().div(denominator());
  if (smoothing === 0) return loss;

  // ignored targets contribute 0 (not inf * 0 = NaN when a logit is -inf)
  const smoothTerms = keepWhere(
    (weightAlongClasses ? logp.mul(weightAlongClasses) : logp).sum(classDim)
      .neg(),
    kept,
  );
  let smooth: Tensor;
  if (reduction === "none") smooth = smoothTerms;
  else if (reduction === "sum") smooth = smoothTerms.sum();
  else smooth = smoothTerms.sum().div(denominator());
  return loss.mul(1 - smoothing).add(smooth.mul(smoothing / C));
}

/**
 * From class-index targets: `oneHot` (input's shape, 1 at each counted
 * target's class) and `kept` (target's shape, 1 where counted). Validates
 * the target's shape and values with PyTorch's messages.
 */
function classMasks(
  shape: readonly number[],
  classDim: number,
  target: Tensor,
  ignoreIndex: number,
): { oneHot: Tensor; kept: Tensor } {
  const C = shape[classDim];
  const expected = shape.filter((_, i) => i !== classDim);
  if (
    shape.length >= 2 && target.ndim >= 1 && target.shape[0] !== shape[0]
  ) {
    throw new RangeError(
      `Expected input batch_size (${shape[0]}) to match target batch_size (${
        target.shape[0]
      }).`,
    );
  }
  if (!sameShape(target.shape, expected)) {
    throw new RangeError(
      `Expected target size ${formatShape(expected)}, got ${
        formatShape(target.shape)
      }`,
    );
  }
  const values = target.toFloat32Array();
  // input index of (n, c, rest) = (n * C + c) * inner + rest
  const inner = shapeSize(shape, classDim + 1);
  const oneHot = new Float32Array(shapeSize(shape));
  const kept = new Float32Array(values.length);
  for (let t = 0; t < values.length; t++) {
    const v = values[t];
    if (v === ignoreIndex) continue;
    if (!Number.isInteger(v)) {
      throw new TypeError(
        `Expected class-index targets (integers), got ${v}; targets shaped like the input are class probabilities`,
      );
    }
    if (v < 0 || v >= C) throw new RangeError(`Target ${v} is out of bounds.`);
    const n = Math.floor(t / inner), rest = t % inner;
    oneHot[(n * C + v) * inner + rest] = 1;
    kept[t] = 1;
  }
  return {
    oneHot: tensor(oneHot, { shape }),
    kept: tensor(kept, { shape: target.shape }),
  };
}
