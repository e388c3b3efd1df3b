/**
 * Shapes and strides: contiguous strides, broadcasting, dim checks, and the
 * collapsing of dims that lets kernels walk few, long rows.
 *
 * @module
 */

/** Formats a shape as PyTorch users read it: `[2, 3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * `n` copies of `value` in a packed array. Shapes and strides are always
 * built this way (never `new Array(n)`, which makes a holey array), so every
 * shape array has the same elements kind and shape code stays monomorphic.
 */
export function packedArray(n: number, value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(value);
  return out;
}

/**
 * A shape as a packed small-integer array: array spread and literals can
 * give generic-element arrays, and shape code seeing several kinds of array
 * keeps being deoptimized (measured: a third of the lecture loop's time).
 */
export function copyShape(shape: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) out.push(shape[i] | 0);
  return out;
}

/** `a` followed by `b`, as a packed shape. */
export function concatShape(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): number[] {
  const out = copyShape(a);
  for (let i = 0; i < b.length; i++) out.push(b[i] | 0);
  return out;
}

/** Row-major strides (in elements) of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = packedArray(shape.length, 0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Number of elements of `shape`, or of its dims [from, to) (no copy). */
export function shapeSize(
  shape: readonly number[],
  from = 0,
  to: number = shape.length,
): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i];
  return n;
}

/** `shape` without its dims [start, end), as a packed shape. */
export function dropDims(
  shape: readonly number[],
  start: number,
  end: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (i < start || i >= end) out.push(shape[i]);
  }
  return out;
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Wraps a possibly negative `dim` into `[0, ndim)`, with PyTorch's error.
 * A 0-d tensor accepts dims -1 and 0, as in PyTorch.
 */
export function normalizeDim(dim: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new RangeError(
      `Dimension out of range (expected to be in range of [${-n}, ${
        n - 1
      }], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Validates a shape given by a user (non-negative integers). */
export function checkShape(shape: readonly number[], what = "shape"): number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${what} must be an array of integers, got ${shape}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(
        `${what} must contain non-negative integers, got ${formatShape(shape)}`,
      );
    }
    if (d > 0x7fffffff) {
      throw new RangeError(
        `${what} has a dimension over 2^31 - 1: ${formatShape(shape)}`,
      );
    }
  }
  return copyShape(shape);
}

/**
 * The broadcast shape of `a` and `b` (NumPy/PyTorch rules), or a RangeError
 * naming both shapes and the first dimension that does not fit.
 */
export function broadcastShapes(
  a: readonly number[],
  b: readonly number[],
): number[] {
  const n = Math.max(a.length, b.length);
  const out = packedArray(n, 0);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `Cannot broadcast shapes ${formatShape(a)} and ${
          formatShape(b)
        }: the size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as if expanded to `target`
 * (a broadcast shape of it): broadcast dims get stride 0.
 */
export function broadcastStrides(
  shape: readonly number[],
  strides: readonly number[],
  target: readonly number[],
): number[] {
  const out = packedArray(target.length, 0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) {
    out[off + i] = shape[i] === 1 && target[off + i] !== 1 ? 0 : strides[i];
  }
  return out;
}

/**
 * Merges adjacent dims that every operand walks in one stride run, and drops
 * size-1 dims, so kernels get few, long rows. Returns the collapsed shape and
 * one stride row per operand (always at least one dim).
 */
export function collapseDims(
  shape: readonly number[],
  stridesList: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const k = outShape.length - 1;
    let merge = k >= 0;
    if (merge) {
      for (let j = 0; j < stridesList.length; j++) {
        if (outStrides[j][k] !== stridesList[j][d] * size) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      outShape[k] *= size;
      for (let j = 0; j < stridesList.length; j++) {
        outStrides[j][k] = stridesList[j][d];
      }
    } else {
      outShape.push(size);
      for (let j = 0; j < stridesList.length; j++) {
        outStrides[j].push(stridesList[j][d]);
      }
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(1);
  }
  return { shape: outShape, strides: outStrides };
}

/** Whether `strides` are the contiguous strides of `shape` (size-1 dims ignored). */
export function isContiguous(
  shape: readonly number[],
  strides: readonly number[],
): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}
