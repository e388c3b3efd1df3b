/**
 * Every differentiable primitive in one table: the op validates, calls its
 * kernel (../kernels.ts), and records a backward rule that saves only what it
 * needs. Rules return one gradient (or null) per input; broadcasting is undone
 * by `unbroadcast`, the one place that does it. Composite ops (sub by a
 * scalar, matmul of vectors, mean) reuse primitives and need no rule of
 * their own.
 *
 * @module
 */
import { record } from "./engine.ts";
import {
  binaryInPlace,
  binaryKernel,
  BinaryOp,
  contiguousKernel,
  copyInto,
  fillKernel,
  matmulKernel,
  ReduceOp,
  reduceRun,
  unaryInPlace,
  unaryKernel,
  UnaryOp,
} from "../kernels.ts";
import { Storage } from "../storage.ts";
import {
  broadcastShapes,
  concatShape,
  contiguousStrides,
  copyShape,
  formatShape,
  isContiguous,
  normalizeDim,
  packedArray,
  sameShape,
  shapeSize,
} from "../shape.ts";
import { isGradEnabled } from "./engine.ts";
import { type Operand, Tensor, type ValuesIndices } from "../tensor.ts";

// ---- helpers ----

/** A new tensor of `shape` filled with `value`. */
export function filled(shape: readonly number[], value: number): Tensor {
  return fillKernel(shape, value);
}

function scalarTensor(value: number): Tensor {
  return fillKernel([], value);
}

/** A contiguous copy with its own storage (not recorded). */
export function materialize(t: Tensor): Tensor {
  return unaryKernel(UnaryOp.copy, t);
}

/**
 * Sums `grad` down to `shape`, undoing broadcasting: leading dims and dims
 * where `shape` has size 1 are summed.
 */
export function unbroadcast(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < grad.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) {
      dims.push(i);
    }
  }
  const summed = dims.length > 0 ? sumDims(grad, dims, true) : grad;
  return viewAs(summed, shape);
}

function viewAs(t: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(t.shape, shape)) return t;
  return reshapeRaw(t, shape);
}

function checkOperand(x: unknown, name: string): void {
  if (x instanceof Tensor) return;
  if (typeof x !== "number") {
    throw new TypeError(
      `${name}(): expected a Tensor or a number as the other operand, got ${
        x === null ? "null" : typeof x
      }`,
    );
  }
}

// ---- arithmetic ----

// A number operand keeps PyTorch's name for the tensor-tensor op: Python
// wraps `x + 2` into add.Tensor, so it prints `<AddBackward0>`.

/** a + alpha * b */
export function add(a: Tensor, b: Operand, alpha: number): Tensor {
  checkOperand(b, "add");
  if (typeof b === "number") {
    const out = unaryKernel(UnaryOp.addScalar, a, alpha * b);
    return record(out, "AddBackward0", [a], (g) => [g]);
  }
  const out = binaryKernel(BinaryOp.add, a, b, alpha);
  return record(out, "AddBackward0", [a, b], (g) => [
    a.requiresGrad ? unbroadcast(g, a.shape) : null,
    b.requiresGrad
      ? unbroadcast(alpha === 1 ? g : scale(g, alpha), b.shape)
      : null,
  ]);
}

/** a - alpha * b */
export function sub(a: Tensor, b: Operand, alpha: number): Tensor {
  checkOperand(b, "sub");
  if (typeof b === "number") {
    const out = unaryKernel(UnaryOp.addScalar, a, -alpha * b);
    return record(out, "SubBackward0", [a], (g) => [g]);
  }
  const out = binaryKernel(BinaryOp.sub, a, b, alpha);
  return record(out, "SubBackward0", [a, b], (g) => [
    a.requiresGrad ? unbroadcast(g, a.shape) : null,
    b.requiresGrad ? unbroadcast(scale(g, -alpha), b.shape) : null,
  ]);
}

/** s - a, for a number s (PyTorch's rsub). */
export function rsub(a: Tensor, s: number): Tensor {
  const out = unaryKernel(UnaryOp.rsubScalar, a, s);
  return record(out, "RsubBackward1", [a], (g) => [neg(g)]);
}

function scale(g: Tensor, s: number): Tensor {
  return unaryKernel(UnaryOp.mulScalar, g, s);
}

/** a * b */
export function mul(a: Tensor, b: Operand): Tensor {
  checkOperand(b, "mul");
  if (typeof b === "number") {
    const out = unaryKernel(UnaryOp.mulScalar, a, b);
    return record(out, "MulBackward0", [a], (g) => [scale(g, b)]);
  }
  const out = binaryKernel(BinaryOp.mul, a, b);
  return record(out, "MulBackward0", [a, b], (g) => [
    a.requiresGrad ? unbroadcast(mul(g, b), a.shape) : null,
    b.requiresGrad ? unbroadcast(mul(g, a), b.shape) : null,
  ]);
}

/** a / b */
export function div(a: Tensor, b: Operand): Tensor {
  checkOperand(b, "div");
  if (typeof b === "number") {
    const out = unaryKernel(UnaryOp.divScalar, a, b);
    return record(out, "DivBackward0", [a], (g) => [
      unaryKernel(UnaryOp.divScalar, g, b),
    ]);
  }
  const out = binaryKernel(BinaryOp.div, a, b);
  return record(out, "DivBackward0", [a, b], (g) => [
    a.requiresGrad ? unbroadcast(div(g, b), a.shape) : null,
    // d(a/b)/db = -a / b^2 = -(out / b)
    b.requiresGrad
      ? unbroadcast(neg(div(mul(g, a), mul(b, b))), b.shape)
      : null,
  ]);
}

/** s / a, for a number s. */
export function rdiv(a: Tensor, s: number): Tensor {
  const out = unaryKernel(UnaryOp.rdivScalar, a, s);
  return record(out, "DivBackward0", [a], (g) => [
    neg(div(scale(g, s), mul(a, a))),
  ]);
}

/** a ** b */
export function pow(a: Tensor, b: Operand): Tensor {
  checkOperand(b, "pow");
  if (typeof b === "number") {
    const out = unaryKernel(UnaryOp.powScalar, a, b);
    return record(out, "PowBackward0", [a], (g) => [
      b === 0
        ? filled(a.shape, 0)
        : mul(g, scale(unaryKernel(UnaryOp.powScalar, a, b - 1), b)),
    ]);
  }
  const out = binaryKernel(BinaryOp.pow, a, b);
  return record(out, "PowBackward1", [a, b], (g) => [
    a.requiresGrad
      ? unbroadcast(mul(g, mul(b, pow(a, add(b, -1, 1)))), a.shape)
      : null,
    b.requiresGrad
      ? unbroadcast(mul(g, powExponentGrad(a, b, out)), b.shape)
      : null,
  ]);
}

/** out * log(a), but 0 where a == 0 and b >= 0 (as PyTorch masks it). */
function powExponentGrad(a: Tensor, b: Tensor, out: Tensor): Tensor {
  const term = mul(out, log(a));
  // keep = 1 - (a == 0) * (b >= 0); b >= 0 is 1 - (0 > b)
  const aZero = binaryKernel(BinaryOp.eq, a, scalarTensor(0));
  const bNonNeg = rsub(binaryKernel(BinaryOp.gt, scalarTensor(0), b), 1);
  const keep = rsub(mul(aZero, bNonNeg), 1);
  return binaryKernel(BinaryOp.select, term, keep);
}

/** s ** a, for a number s. */
export function rpow(a: Tensor, s: number): Tensor {
  const out = unaryKernel(UnaryOp.rpowScalar, a, s);
  return record(out, "PowBackward2", [a], (g) => {
    if (s === 0) {
      // d/da 0**a is 0 where a >= 0 (PyTorch's convention), -inf*... elsewhere
      return [
        mul(
          g,
          binaryKernel(
            BinaryOp.select,
            scale(out, -Infinity),
            binaryKernel(BinaryOp.gt, scalarTensor(0), a),
          ),
        ),
      ];
    }
    return [mul(g, scale(out, Math.log(s)))];
  });
}

// ---- unary ----

/** -a */
export function neg(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.neg, a);
  return record(out, "NegBackward0", [a], (g) => [neg(g)]);
}

/** e^a */
export function exp(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.exp, a);
  return record(out, "ExpBackward0", [a], (g) => [mul(g, out)]);
}

/** ln a */
export function log(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.log, a);
  return record(out, "LogBackward0", [a], (g) => [div(g, a)]);
}

/** sqrt a */
export function sqrt(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.sqrt, a);
  return record(out, "SqrtBackward0", [a], (g) => [div(g, scale(out, 2))]);
}

/** |a| */
export function abs(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.abs, a);
  return record(out, "AbsBackward0", [a], (g) => [
    mul(g, unaryKernel(UnaryOp.sign, a)),
  ]);
}

/** max(a, 0) */
export function relu(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.relu, a);
  return record(out, "ReluBackward0", [a], (g) => [
    binaryKernel(BinaryOp.maskPositive, g, out),
  ]);
}

/** 1 / (1 + e^-a) */
export function sigmoid(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.sigmoid, a);
  return record(out, "SigmoidBackward0", [a], (g) => [
    mul(mul(g, rsub(out, 1)), out),
  ]);
}

/** tanh a */
export function tanh(a: Tensor): Tensor {
  const out = unaryKernel(UnaryOp.tanh, a);
  return record(out, "TanhBackward0", [a], (g) => [
    mul(g, rsub(mul(out, out), 1)),
  ]);
}

/** clamp(a, min, max); either bound may be null. */
export function clamp(
  a: Tensor,
  min: number | null,
  max: number | null,
): Tensor {
  if (min === null && max === null) {
    throw new TypeError(
      "torch.clamp: At least one of 'min' or 'max' must not be None",
    );
  }
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  const out = unaryKernel(UnaryOp.clamp, a, lo, hi);
  return record(out, "ClampBackward1", [a], (g) => [
    mul(g, unaryKernel(UnaryOp.inRange, a, lo, hi)),
  ]);
}

function asTensor(x: Operand): Tensor {
  return typeof x === "number" ? scalarTensor(x) : x;
}

/** Elementwise maximum (ties split the gradient evenly, as PyTorch). */
export function maximum(a: Tensor, b: Operand): Tensor {
  checkOperand(b, "maximum");
  return extremeOf(a, asTensor(b), BinaryOp.maximum, "MaximumBackward0");
}

/** Elementwise minimum (ties split the gradient evenly, as PyTorch). */
export function minimum(a: Tensor, b: Operand): Tensor {
  checkOperand(b, "minimum");
  return extremeOf(a, asTensor(b), BinaryOp.minimum, "MinimumBackward0");
}

function extremeOf(a: Tensor, b: Tensor, op: number, name: string): Tensor {
  const out = binaryKernel(op, a, b);
  return record(out, name, [a, b], (g) => {
    const half = scale(binaryKernel(BinaryOp.eq, a, b), 0.5);
    const wins = (x: Tensor, y: Tensor) =>
      add(
        op === BinaryOp.maximum
          ? binaryKernel(BinaryOp.gt, x, y)
          : binaryKernel(BinaryOp.gt, y, x),
        half,
        1,
      );
    return [
      a.requiresGrad ? unbroadcast(mul(g, wins(a, b)), a.shape) : null,
      b.requiresGrad ? unbroadcast(mul(g, wins(b, a)), b.shape) : null,
    ];
  });
}

// ---- matmul ----

/** torch.matmul: 1-D, 2-D, batched and broadcast batched operands. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) {
    throw new TypeError("matmul(): both operands must be Tensors");
  }
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(
      `both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`,
    );
  }
  const k1 = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim === 1 ? 0 : b.ndim - 2];
  if (k1 !== k2) {
    if (a.ndim === 1 && b.ndim === 1) {
      throw new RangeError(
        `inconsistent tensor size, expected tensor [${k1}] and src [${k2}] to have the same number of elements, but got ${k1} and ${k2} elements respectively`,
      );
    }
    const s1 = a.ndim === 1
      ? `1x${k1}`
      : `${shapeSize(a.shape, 0, a.ndim - 1)}x${k1}`;
    const s2 = b.ndim === 1 ? `${k2}x1` : `${k2}x${b.shape[b.ndim - 1]}`;
    throw new RangeError(
      `mat1 and mat2 shapes cannot be multiplied (${s1} and ${s2}); shapes ${
        formatShape(a.shape)
      } and ${formatShape(b.shape)}`,
    );
  }
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  const batch = broadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  let out = bmm(a2, b2, batch);
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return out;
}

/** [...batch, m, k] x [...batch, k, n] with the batch dims broadcast. */
function bmm(a: Tensor, b: Tensor, batch: number[]): Tensor {
  const out = matmulKernel(a, b, batch);
  const name = a.ndim === 2 && b.ndim === 2 ? "MmBackward0" : "BmmBackward0";
  return record(out, name, [a, b], (g) => [
    a.requiresGrad
      ? unbroadcast(matmulKernel(g, b.transpose(-1, -2), batch), a.shape)
      : null,
    b.requiresGrad
      ? unbroadcast(matmulKernel(a.transpose(-1, -2), g, batch), b.shape)
      : null,
  ]);
}

// ---- reductions ----

function normalizeDims(
  dim: number | readonly number[],
  ndim: number,
): number[] {
  const list = typeof dim === "number" ? [dim] : [...dim];
  const out = list.map((d) => normalizeDim(d, ndim));
  if (new Set(out).size !== out.length) {
    throw new RangeError(
      `dim ${
        out.find((d, i) => out.indexOf(d) !== i)
      } appears multiple times in the list of dims`,
    );
  }
  return out.sort((x, y) => x - y);
}

/** Sums `dims` (sorted, unique) of `a`, not recorded. */
function sumDims(a: Tensor, dims: number[], keepdim: boolean): Tensor {
  let t = a;
  // adjacent runs, from the last, so earlier dim numbers stay valid
  let end = dims.length;
  while (end > 0) {
    let start = end - 1;
    while (start > 0 && dims[start - 1] === dims[start] - 1) start--;
    t = reduceRun(ReduceOp.sum, t, dims[start], dims[end - 1] + 1).values;
    end = start;
  }
  if (keepdim) {
    const shape = copyShape(a.shape);
    for (const d of dims) shape[d] = 1;
    t = reshapeRaw(t, shape);
  }
  return t;
}

function keptShape(shape: readonly number[], dims: number[]): number[] {
  const s = copyShape(shape);
  for (const d of dims) s[d] = 1;
  return s;
}

/** Sum over everything (dim null) or over dims. */
export function sum(
  a: Tensor,
  dim: number | readonly number[] | null,
  keepdim: boolean,
): Tensor {
  const all = dim === null;
  const inShape = a.shape;
  if (all) {
    // everything: one run over the flattened tensor; the gradient is g expanded
    const out = a.ndim === 0
      ? materialize(a)
      : reshapeRaw(reduceRun(ReduceOp.sum, a, 0, a.ndim).values, []);
    return record(out, "SumBackward0", [a], (g) => [
      g.expand(inShape as number[]),
    ]);
  }
  const dims = normalizeDims(dim, a.ndim);
  if (a.ndim === 0) {
    const out = materialize(a);
    return record(out, "SumBackward1", [a], (g) => [g]);
  }
  const out = sumDims(a, dims, keepdim);
  return record(out, "SumBackward1", [a], (g) => [
    reshapeRaw(g, keptShape(inShape, dims)).expand(inShape as number[]),
  ]);
}

/** Mean over everything (dim null) or over dims. */
export function mean(
  a: Tensor,
  dim: number | readonly number[] | null,
  keepdim: boolean,
): Tensor {
  const all = dim === null;
  const dims = all ? [...Array(a.ndim).keys()] : normalizeDims(dim, a.ndim);
  // dim 0 (or -1) of a 0-d tensor names no actual dim: nothing is reduced
  if (a.ndim === 0) dims.length = 0;
  let n = 1;
  for (const d of dims) n *= a.shape[d];
  const s = a.ndim === 0
    ? materialize(a)
    : sumDims(a, dims, all ? false : keepdim);
  const out = unaryKernel(UnaryOp.divScalar, s, n);
  const inShape = a.shape;
  return record(out, all ? "MeanBackward0" : "MeanBackward1", [a], (g) => [
    reshapeRaw(unaryKernel(UnaryOp.divScalar, g, n), keptShape(inShape, dims))
      .expand(inShape as number[]),
  ]);
}

/** max/min over everything, or { values, indices } along one dim. */
export function extreme(
  a: Tensor,
  isMax: boolean,
  dim: number | undefined,
  keepdim: boolean,
): Tensor | ValuesIndices {
  const op = isMax ? ReduceOp.max : ReduceOp.min;
  const label = isMax ? "max" : "min";
  if (dim === undefined || dim === null) {
    if (a.numel() === 0) {
      throw new RangeError(
        `${label}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
      );
    }
    const flat = contiguousKernel(a);
    const out = reshapeRaw(
      reduceRun(op, reshapeRaw(flat, [flat.numel()]), 0, 1).values,
      [],
    );
    return record(out, isMax ? "MaxBackward1" : "MinBackward1", [a], (g) => {
      // the gradient is shared evenly among tied extremes, as PyTorch does
      const mask = binaryKernel(BinaryOp.eq, a, out);
      const count = sumDims(mask, [...Array(a.ndim).keys()], false);
      return [mul(mask, div(g, count))];
    });
  }
  const d = normalizeDim(dim, a.ndim);
  if (a.ndim > 0 && a.shape[d] === 0) {
    throw new RangeError(
      `${label}(): Expected reduction dim ${d} to have non-zero size.`,
    );
  }
  if (a.ndim === 0) {
    const values = materialize(a);
    return {
      values: record(
        values,
        isMax ? "MaxBackward0" : "MinBackward0",
        [a],
        (g) => [g],
      ),
      indices: filled([], 0),
    };
  }
  const r = reduceRun(op, a, d, d + 1, true);
  let values = r.values, indices = r.indices!;
  const kept = keptShape(a.shape, [d]);
  if (keepdim) {
    values = reshapeRaw(values, kept);
    indices = reshapeRaw(indices, kept);
  }
  const idx = indices;
  const inShape = a.shape;
  values = record(values, isMax ? "MaxBackward0" : "MinBackward0", [a], (g) => {
    // scatter g to the selected positions: a one-hot mask along d
    const positions = packedArray(inShape.length, 1);
    positions[d] = inShape[d];
    const ar = reshapeRaw(aranged(inShape[d]), positions);
    const mask = binaryKernel(BinaryOp.eq, ar, reshapeRaw(idx, kept));
    return [mul(mask, reshapeRaw(g, kept))];
  });
  return { values, indices };
}

function aranged(n: number): Tensor {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return Tensor._fromStorage(Storage.fromHost(data), [n], [1], 0);
}

/** Index of the max/min, flattened or along a dim (not differentiable). */
export function argExtreme(
  a: Tensor,
  isMax: boolean,
  dim: number | undefined,
  keepdim: boolean,
): Tensor {
  const op = isMax ? ReduceOp.max : ReduceOp.min;
  if (dim === undefined || dim === null) {
    if (a.numel() === 0) {
      throw new RangeError(
        `arg${
          isMax ? "max" : "min"
        }(): Expected reduction dim to be specified for input.numel() == 0.`,
      );
    }
    const flat = reshapeRaw(contiguousKernel(a), [a.numel()]);
    const idx = reshapeRaw(reduceRun(op, flat, 0, 1, true).indices!, []);
    return keepdim ? reshapeRaw(idx, a.shape.map(() => 1)) : idx;
  }
  const d = normalizeDim(dim, a.ndim);
  if (a.ndim === 0) return filled([], 0);
  if (a.shape[d] === 0) {
    throw new RangeError(
      `arg${
        isMax ? "max" : "min"
      }(): Expected reduction dim ${d} to have non-zero size.`,
    );
  }
  const idx = reduceRun(op, a, d, d + 1, true).indices!;
  return keepdim ? reshapeRaw(idx, keptShape(a.shape, [d])) : idx;
}

// ---- views ----

/**
 * Strides for viewing `shape`/`strides` as `target` without a copy, or null
 * when the layout does not allow it (PyTorch's computeStride).
 */
function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  target: readonly number[],
): number[] | null {
  const numel = shapeSize(shape);
  const out = packedArray(target.length, 0);
  // a 0-d tensor (one element) views as any all-ones shape
  if (shape.length === 0) return out.fill(1);
  if (numel === 0) {
    let s = 1;
    for (let i = target.length - 1; i >= 0; i--) {
      out[i] = s;
      s *= Math.max(target[i], 1);
    }
    return out;
  }
  let viewD = target.length - 1;
  let chunk = strides.length > 0 ? strides[strides.length - 1] : 1;
  let tensorNumel = 1, viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (
      d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunk)
    ) {
      while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] === 1)) {
        out[viewD] = viewNumel * chunk;
        viewNumel *= target[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunk = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}

/** A view of `t` with `shape` (a copy when strides forbid a view); not recorded. */
function reshapeRaw(t: Tensor, shape: readonly number[]): Tensor {
  const strides = viewStrides(t.shape, t._strides, shape);
  if (strides) {
    return Tensor._fromStorage(t._storage, shape, strides, t._offset);
  }
  const c = materialize(t);
  return Tensor._fromStorage(c._storage, shape, contiguousStrides(shape), 0);
}

/** reshape / view / unsqueeze / squeeze: same elements, another shape. */
export function reshape(
  a: Tensor,
  shape: number[],
  mustView: boolean,
  name?: string,
): Tensor {
  let out: Tensor;
  const strides = viewStrides(a.shape, a._strides, shape);
  if (strides) {
    out = Tensor._fromStorage(a._storage, shape, strides, a._offset);
  } else if (mustView) {
    throw new RangeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  } else {
    const c = materialize(a);
    out = Tensor._fromStorage(c._storage, shape, contiguousStrides(shape), 0);
  }
  const inShape = a.shape;
  return record(
    out,
    name ?? (mustView ? "ViewBackward0" : "ReshapeAliasBackward0"),
    [a],
    (g) => [reshapeRaw(g, inShape)],
  );
}

/** A view with dims reordered by `dims` (a permutation). */
export function permute(a: Tensor, dims: number[], name: string): Tensor {
  const shape = dims.map((d) => a.shape[d]);
  const strides = dims.map((d) => a._strides[d]);
  const out = Tensor._fromStorage(a._storage, shape, strides, a._offset);
  const inverse = packedArray(dims.length, 0);
  for (let i = 0; i < dims.length; i++) inverse[dims[i]] = i;
  return record(out, name, [a], (g) => [
    Tensor._fromStorage(
      g._storage,
      inverse.map((d) => g.shape[d]),
      inverse.map((d) => g._strides[d]),
      g._offset,
    ),
  ]);
}

/** A broadcast view of `a` with `size` (-1 keeps a dim). */
export function expand(a: Tensor, size: number[]): Tensor {
  if (size.length < a.ndim) {
    throw new RangeError(
      `expand: the number of sizes provided (${size.length}) must be greater or equal to the number of dimensions in the tensor (${a.ndim})`,
    );
  }
  const lead = size.length - a.ndim;
  const shape = packedArray(size.length, 0);
  const strides = packedArray(size.length, 0);
  for (let i = 0; i < size.length; i++) {
    const want = size[i];
    if (i < lead) {
      if (want < 0) {
        throw new RangeError(
          `expand: -1 is not allowed in a leading, non-existing dimension ${i}`,
        );
      }
      shape[i] = want;
      strides[i] = 0;
      continue;
    }
    const have = a.shape[i - lead];
    if (want === -1 || want === have) {
      shape[i] = have;
      strides[i] = a._strides[i - lead];
    } else if (have === 1 && Number.isInteger(want) && want >= 0) {
      shape[i] = want;
      strides[i] = 0;
    } else {
      throw new RangeError(
        `The expanded size of the tensor (${want}) must match the existing size (${have}) at non-singleton dimension ${i}.  Target sizes: ${
          formatShape(size)
        }.  Tensor sizes: ${formatShape(a.shape)}`,
      );
    }
  }
  const out = Tensor._fromStorage(a._storage, shape, strides, a._offset);
  const inShape = a.shape;
  return record(out, "ExpandBackward0", [a], (g) => [unbroadcast(g, inShape)]);
}

/** `a` if contiguous, else a contiguous copy (gradient passes through). */
export function contiguous(a: Tensor): Tensor {
  if (isContiguous(a.shape, a._strides)) return a;
  const out = materialize(a);
  return record(out, "CloneBackward0", [a], (g) => [g]);
}

/** A copy with its own storage (gradient passes through). */
export function clone(a: Tensor): Tensor {
  const out = materialize(a);
  return record(out, "CloneBackward0", [a], (g) => [g]);
}

// ---- in place ----

/**
 * Runs an in-place update, refusing leaves that require grad while recording
 * (PyTorch's rule) and non-contiguous targets.
 */
export function inPlace(
  t: Tensor,
  name: string,
  fn: (t: Tensor) => void,
): void {
  if (isGradEnabled() && t.requiresGrad && t.isLeaf) {
    throw new Error(
      `a leaf Variable that requires grad is being used in an in-place operation (${name}); wrap it in noGrad(() => ...)`,
    );
  }
  if (isGradEnabled() && t.gradFn !== null) {
    throw new Error(
      `${name}: in-place operations on tensors recorded for autograd are not supported; use the out-of-place op`,
    );
  }
  if (!isContiguous(t.shape, t._strides)) {
    throw new RangeError(`${name}: the tensor must be contiguous`);
  }
  fn(t);
}

/** t[:] = value */
export function fillInPlace(t: Tensor, value: number): void {
  unaryInPlace(UnaryOp.affine, t, 0, value);
}

function checkInPlaceShape(t: Tensor, src: Tensor, name: string): void {
  const b = broadcastShapes(t.shape, src.shape);
  if (!sameShape(b, t.shape)) {
    throw new RangeError(
      `${name}: output with shape ${
        formatShape(t.shape)
      } doesn't match the broadcast shape ${formatShape(b)}`,
    );
  }
}

/** t[:] = src (broadcast) */
export function copyInPlace(t: Tensor, src: Tensor): void {
  checkInPlaceShape(t, src, "copy_");
  copyInto(t, src);
}

/** t += alpha * other */
export function addInPlace(t: Tensor, other: Operand, alpha: number): void {
  checkOperand(other, "add_");
  if (typeof other === "number") {
    unaryInPlace(UnaryOp.addScalar, t, alpha * other);
    return;
  }
  checkInPlaceShape(t, other, "add_");
  binaryInPlace(BinaryOp.add, t, other, alpha);
}

/** t *= other */
export function mulInPlace(t: Tensor, other: Operand): void {
  checkOperand(other, "mul_");
  if (typeof other === "number") {
    unaryInPlace(UnaryOp.mulScalar, t, other);
    return;
  }
  checkInPlaceShape(t, other, "mul_");
  binaryInPlace(BinaryOp.mul, t, other);
}

// ---- fused layers and losses ----

/** w viewed as its transpose (no copy). */
function transposed(w: Tensor): Tensor {
  return Tensor._fromStorage(
    w._storage,
    [w.shape[1], w.shape[0]],
    [w._strides[1], w._strides[0]],
    w._offset,
  );
}

/**
 * `x @ w^T + b` over any leading dims of x, as one op (PyTorch's addmm):
 * one output, one node, and a backward of two matmuls and a row sum.
 * Shapes are checked by the caller (nn.functional.linear).
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const outF = w.shape[0], inF = w.shape[1];
  const rows = shapeSize(x.shape, 0, x.ndim - 1);
  const x2 = x.ndim === 2 ? x : reshapeRaw(x, [rows, inF]);
  const out2 = matmulKernel(x2, transposed(w), []);
  if (b !== null) addRowVector(out2, b);
  const out = x.ndim === 2
    ? out2
    : reshapeRaw(out2, concatShape(x.shape.slice(0, -1), [outF]));
  const inputs = b !== null ? [x, w, b] : [x, w];
  return record(
    out,
    b !== null ? "AddmmBackward0" : "MmBackward0",
    inputs,
    (g) => {
      const g2 = g.ndim === 2 ? g : reshapeRaw(g, [rows, outF]);
      const grads: (Tensor | null)[] = [
        x.requiresGrad ? viewAs(matmulKernel(g2, w, []), x.shape) : null,
        w.requiresGrad ? matmulKernel(transposed(g2), x2, []) : null,
      ];
      if (b !== null) {
        grads.push(
          b.requiresGrad ? reduceRun(ReduceOp.sum, g2, 0, 1).values : null,
        );
      }
      return grads;
    },
  );
}

/** out[r, :] += b for a fresh contiguous [rows, n] output, in place. */
function addRowVector(out: Tensor, b: Tensor): void {
  const host = out._storage.host;
  if (out._storage.ptr < 0 && Array.isArray(host)) {
    const n = out.shape[1];
    const bd = b._storage.data(), b0 = b._storage.base() + b._offset;
    const bs = b._strides[0];
    for (let i = 0; i < host.length; i++) {
      host[i] = Math.fround(host[i] + bd[b0 + (i % n) * bs]);
    }
    return;
  }
  binaryInPlace(BinaryOp.add, out, b, 1);
}

/**
 * Mean squared error as one op: `(x - y)^2` reduced by `reduction`, saving
 * only `x - y` for backward, whose rule is PyTorch's
 * `norm * (x - y) * grad` with norm 2/n (mean) or 2.
 */
export function mseLoss(
  x: Tensor,
  y: Tensor,
  reduction: "mean" | "sum" | "none",
): Tensor {
  const diff = binaryKernel(BinaryOp.sub, x, y, 1);
  const sq = binaryKernel(BinaryOp.mul, diff, diff);
  const n = sq.numel();
  let out: Tensor;
  if (reduction === "none") out = sq;
  else {
    const flat = reshapeRaw(reduceRun(ReduceOp.sum, sq, 0, sq.ndim).values, []);
    out = reduction === "mean" ? unaryKernel(UnaryOp.divScalar, flat, n) : flat;
    sq.dispose(); // internal: freed now rather than evicted later
  }
  const norm = reduction === "mean" ? 2 / n : 2;
  const name = "MseLossBackward0";
  return record(out, name, [x, y], (g, retain) => {
    const scaled = unaryKernel(UnaryOp.mulScalar, diff, norm);
    const gx = binaryKernel(BinaryOp.mul, scaled, g);
    scaled.dispose();
    if (!retain) diff.dispose(); // saved only for this rule
    return [
      x.requiresGrad ? gx : null,
      y.requiresGrad ? unaryKernel(UnaryOp.neg, gx) : null,
    ];
  });
}
