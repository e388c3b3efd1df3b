/**
 * The kernels again, in JavaScript, for tiny tensors (at most `TINY`
 * elements). At that size a WebAssembly call, a working-area block and its
 * bookkeeping cost more than the arithmetic, and a tiny output held in an
 * on-heap ArrayLike<number> is the cheapest thing the garbage collector handles.
 * Every result is rounded to float32 as the WebAssembly kernel rounds it,
 * and outputs are plain arrays of those float32 values.
 *
 * @module
 */
import { BinaryOp, ReduceOp, UnaryOp } from "./wasm.ts";
import { isContiguous } from "./shape.ts";

/** Tensors with at most this many elements are computed here. */
export const TINY = 16;

const f = Math.fround;

/** One element of a binary op (see assembly/elementwise.ts). */
export function binaryScalar(
  op: number,
  x: number,
  y: number,
  p: number,
): number {
  switch (op) {
    case BinaryOp.add:
      return f(x + f(y * p));
    case BinaryOp.sub:
      return f(x - f(y * p));
    case BinaryOp.mul:
      return f(x * y);
    case BinaryOp.div:
      return f(x / y);
    case BinaryOp.pow:
      return f(x ** y);
    case BinaryOp.maximum:
      return Math.max(x, y);
    case BinaryOp.minimum:
      return Math.min(x, y);
    case BinaryOp.gt:
      return x > y ? 1 : 0;
    case BinaryOp.eq:
      return x === y ? 1 : 0;
    case BinaryOp.maskPositive:
      return y > 0 ? x : 0;
    case BinaryOp.select:
      return y !== 0 ? x : 0;
  }
  throw new Error(`unknown binary op ${op}`);
}

/** One element of a unary op (see assembly/elementwise.ts). */
export function unaryScalar(
  op: number,
  x: number,
  p: number,
  q: number,
): number {
  switch (op) {
    case UnaryOp.copy:
      return x;
    case UnaryOp.neg:
      return -x;
    case UnaryOp.abs:
      return Math.abs(x);
    case UnaryOp.sqrt:
      return f(Math.sqrt(x));
    case UnaryOp.relu:
      return Math.max(x, 0);
    case UnaryOp.addScalar:
      return f(x + p);
    case UnaryOp.mulScalar:
      return f(x * p);
    case UnaryOp.rsubScalar:
      return f(p - x);
    case UnaryOp.divScalar:
      return f(x / p);
    case UnaryOp.rdivScalar:
      return f(p / x);
    case UnaryOp.clamp:
      return Math.min(Math.max(x, p), q);
    case UnaryOp.sign:
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case UnaryOp.affine:
      return f(f(x * p) + q);
    case UnaryOp.exp:
      return f(Math.exp(x));
    case UnaryOp.log:
      return f(Math.log(x));
    case UnaryOp.sigmoid:
      return f(1 / f(1 + f(Math.exp(-x))));
    case UnaryOp.tanh:
      return f(Math.tanh(x));
    case UnaryOp.powScalar:
      return f(x ** p);
    case UnaryOp.rpowScalar:
      return f(p ** x);
    case UnaryOp.inRange:
      return x >= p && x <= q ? 1 : 0;
  }
  throw new Error(`unknown unary op ${op}`);
}

function isZero(strides: readonly number[]): boolean {
  for (let d = 0; d < strides.length; d++) if (strides[d] !== 0) return false;
  return true;
}

/** Element offset of flat index `i` of `shape` read through `strides`. */
function offsetOf(
  i: number,
  shape: readonly number[],
  strides: readonly number[],
): number {
  let off = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d];
    off += (i % size) * strides[d];
    i = Math.floor(i / size);
  }
  return off;
}

/** o[i] = op(a[i], b[i]) over `shape`, operands read through their strides. */
export function binaryHost(
  op: number,
  shape: readonly number[],
  numel: number,
  a: ArrayLike<number>,
  aOff: number,
  sa: readonly number[],
  b: ArrayLike<number>,
  bOff: number,
  sb: readonly number[],
  p: number,
): number[] {
  const o = new Array<number>(numel);
  const ca = isContiguous(shape, sa), cb = isContiguous(shape, sb);
  if (ca && cb) {
    for (let i = 0; i < numel; i++) {
      o[i] = binaryScalar(op, a[aOff + i], b[bOff + i], p);
    }
  } else if (ca && isZero(sb)) {
    const y = b[bOff];
    for (let i = 0; i < numel; i++) o[i] = binaryScalar(op, a[aOff + i], y, p);
  } else {
    for (let i = 0; i < numel; i++) {
      o[i] = binaryScalar(
        op,
        a[aOff + (ca ? i : offsetOf(i, shape, sa))],
        b[bOff + (cb ? i : offsetOf(i, shape, sb))],
        p,
      );
    }
  }
  return o;
}

/** o[i] = op(a[i]) over `shape`, read through `sa`. */
export function unaryHost(
  op: number,
  shape: readonly number[],
  numel: number,
  a: ArrayLike<number>,
  aOff: number,
  sa: readonly number[],
  p: number,
  q: number,
): number[] {
  const o = new Array<number>(numel);
  if (isContiguous(shape, sa)) {
    for (let i = 0; i < numel; i++) o[i] = unaryScalar(op, a[aOff + i], p, q);
  } else {
    for (let i = 0; i < numel; i++) {
      o[i] = unaryScalar(op, a[aOff + offsetOf(i, shape, sa)], p, q);
    }
  }
  return o;
}

/**
 * Reduces contiguous [outer, r, inner] data over r (see assembly/reduce.ts):
 * sums in float64, max/min with NaN winning and the first index on ties.
 */
export function reduceHost(
  op: number,
  outer: number,
  r: number,
  inner: number,
  a: ArrayLike<number>,
  aOff: number,
  withIndices: boolean,
): { values: number[]; indices: number[] | null } {
  const values = new Array<number>(outer * inner);
  const indices = withIndices ? new Array<number>(outer * inner) : null;
  for (let b = 0; b < outer; b++) {
    for (let j = 0; j < inner; j++) {
      const base = aOff + b * r * inner + j;
      if (op === ReduceOp.sum) {
        let s = 0;
        for (let k = 0; k < r; k++) s += a[base + k * inner];
        values[b * inner + j] = f(s);
        continue;
      }
      let best = a[base], bi = 0;
      for (let k = 1; k < r && best === best; k++) {
        const v = a[base + k * inner];
        if ((op === ReduceOp.max ? v > best : v < best) || v !== v) {
          best = v;
          bi = k;
        }
      }
      values[b * inner + j] = best;
      if (indices) indices[b * inner + j] = bi;
    }
  }
  return { values, indices };
}

/** c[m, n] = a[m, k] . b[k, n] (strided operands), accumulated in float64. */
export function matmulHost(
  m: number,
  n: number,
  k: number,
  a: ArrayLike<number>,
  aOff: number,
  rsa: number,
  csa: number,
  b: ArrayLike<number>,
  bOff: number,
  rsb: number,
  csb: number,
  c: number[],
  cOff: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += a[aOff + i * rsa + p * csa] * b[bOff + p * rsb + j * csb];
      }
      c[cOff + i * n + j] = f(s);
    }
  }
}
