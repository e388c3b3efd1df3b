// Elementwise kernels over strided, broadcast operands.
//
// TypeScript collapses the operands' shapes and strides (src/shape.ts) and
// writes them to a descriptor in linear memory: i32 shape[ndim], then one
// stride row per operand, then ndim i32 of scratch for the odometer. The
// output is always contiguous. Each row of the innermost dimension runs
// through one of four loops: both operands contiguous (SIMD), one of them
// broadcast along the row (SIMD with a splat), or fully strided (scalar).
// Op codes must match src/wasm.ts.

// ---- binary ops: o = f(a, b; p) ----
@final class Add {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.add(a, f32x4.mul(b, p)); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a + b * p; }
}
// a + b and a - b without the multiply by alpha: add(x, y) and sub(x, y)
// are the common calls, and the multiply cost them 11% (a broadcast add of
// [1000, 1000] + [1, 1000]) even though they mostly wait on memory
@final class AddOne {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.add(a, b); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a + b; }
}
@final class SubOne {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.sub(a, b); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a - b; }
}
@final class Sub {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.sub(a, f32x4.mul(b, p)); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a - b * p; }
}
@final class Mul {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.mul(a, b); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a * b; }
}
@final class Div {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.div(a, b); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a / b; }
}
@final class Pow {
  @inline v(a: v128, b: v128, p: v128): v128 {
    let r = f32x4.splat(Mathf.pow(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
    r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
    r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
    return f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
  }
  @inline s(a: f32, b: f32, p: f32): f32 { return Mathf.pow(a, b); }
}
@final class Max {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.max(a, b); }
  @inline s(a: f32, b: f32, p: f32): f32 { return max<f32>(a, b); }
}
@final class Min {
  @inline v(a: v128, b: v128, p: v128): v128 { return f32x4.min(a, b); }
  @inline s(a: f32, b: f32, p: f32): f32 { return min<f32>(a, b); }
}
/** 1 where a > b, else 0 */
@final class Gt {
  @inline v(a: v128, b: v128, p: v128): v128 { return v128.and(f32x4.gt(a, b), f32x4.splat(1)); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a > b ? 1 : 0; }
}
/** 1 where a == b, else 0 */
@final class Eq {
  @inline v(a: v128, b: v128, p: v128): v128 { return v128.and(f32x4.eq(a, b), f32x4.splat(1)); }
  @inline s(a: f32, b: f32, p: f32): f32 { return a == b ? 1 : 0; }
}
/** a * (b > 0): the gradient of relu, routed by its input */
@final class MaskPos {
  @inline v(a: v128, b: v128, p: v128): v128 { return v128.and(a, f32x4.gt(b, f32x4.splat(0))); }
  @inline s(a: f32, b: f32, p: f32): f32 { return b > 0 ? a : 0; }
}

/** a where b != 0, else 0 (NaN-safe: a NaN in a masked slot becomes 0) */
@final class Select {
  @inline v(a: v128, b: v128, p: v128): v128 { return v128.andnot(a, f32x4.eq(b, f32x4.splat(0))); }
  @inline s(a: f32, b: f32, p: f32): f32 { return b != 0 ? a : 0; }
}

/** Both operands contiguous: o[i] = op(a[i], b[i]). */
@inline function contiguousRow<Op>(unroll: bool, a: usize, b: usize, o: usize, n: i32, p: f32): void {
  const op = changetype<Op>(0);
  const pv = f32x4.splat(p);
  let i = 0;
  if (unroll) {
    // 16 floats per iteration with pointer bumps: the loop's own overhead
    // (V8 checks each access and every back edge) made the one-vector loop
    // run at about half the cache's speed.
    const end = o + (<usize>(n & ~15) << 2);
    while (o < end) {
      v128.store(o, op.v(v128.load(a), v128.load(b), pv));
      v128.store(o, op.v(v128.load(a, 16), v128.load(b, 16), pv), 16);
      v128.store(o, op.v(v128.load(a, 32), v128.load(b, 32), pv), 32);
      v128.store(o, op.v(v128.load(a, 48), v128.load(b, 48), pv), 48);
      a += 64;
      b += 64;
      o += 64;
    }
    n &= 15; // the tail, from the bumped pointers
  }
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    v128.store(o + k, op.v(v128.load(a + k), v128.load(b + k), pv));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    store<f32>(o + k, op.s(load<f32>(a + k), load<f32>(b + k), p));
  }
}

@inline function binaryRow<Op>(unroll: bool, a: usize, sa: i32, b: usize, sb: i32, o: usize, n: i32, p: f32): void {
  const op = changetype<Op>(0);
  const pv = f32x4.splat(p);
  let i = 0;
  if (sa == 1 && sb == 1) {
    contiguousRow<Op>(unroll, a, b, o, n, p);
  } else if (sa == 0 && sb == 1) {
    const as = load<f32>(a);
    const av = f32x4.splat(as);
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, op.v(av, v128.load(b + k), pv));
    }
    for (; i < n; i++) {
      const k = <usize>i << 2;
      store<f32>(o + k, op.s(as, load<f32>(b + k), p));
    }
  } else if (sa == 1 && sb == 0) {
    const bs = load<f32>(b);
    const bv = f32x4.splat(bs);
    if (unroll) {
      const end = o + (<usize>(n & ~15) << 2);
      while (o < end) {
        v128.store(o, op.v(v128.load(a), bv, pv));
        v128.store(o, op.v(v128.load(a, 16), bv, pv), 16);
        v128.store(o, op.v(v128.load(a, 32), bv, pv), 32);
        v128.store(o, op.v(v128.load(a, 48), bv, pv), 48);
        a += 64;
        o += 64;
      }
      n &= 15;
    }
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, op.v(v128.load(a + k), bv, pv));
    }
    for (; i < n; i++) {
      const k = <usize>i << 2;
      store<f32>(o + k, op.s(load<f32>(a + k), bs, p));
    }
  } else {
    for (; i < n; i++) {
      store<f32>(
        o + (<usize>i << 2),
        op.s(load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2)), p),
      );
    }
  }
}

function binaryRowOp(op: i32, a: usize, sa: i32, b: usize, sb: i32, o: usize, n: i32, p: f32): void {
  switch (op) {
    case 0:
      if (p == 1 && sa == 1 && sb == 1) contiguousRow<AddOne>(true, a, b, o, n, p);
      else binaryRow<Add>(true, a, sa, b, sb, o, n, p);
      break;
    case 1:
      if (p == 1 && sa == 1 && sb == 1) contiguousRow<SubOne>(true, a, b, o, n, p);
      else binaryRow<Sub>(true, a, sa, b, sb, o, n, p);
      break;
    case 2: binaryRow<Mul>(true, a, sa, b, sb, o, n, p); break;
    case 3: binaryRow<Div>(true, a, sa, b, sb, o, n, p); break;
    case 4: binaryRow<Pow>(false, a, sa, b, sb, o, n, p); break;
    case 5: binaryRow<Max>(true, a, sa, b, sb, o, n, p); break;
    case 6: binaryRow<Min>(true, a, sa, b, sb, o, n, p); break;
    case 7: binaryRow<Gt>(true, a, sa, b, sb, o, n, p); break;
    case 8: binaryRow<Eq>(true, a, sa, b, sb, o, n, p); break;
    case 9: binaryRow<MaskPos>(true, a, sa, b, sb, o, n, p); break;
    case 10: binaryRow<Select>(true, a, sa, b, sb, o, n, p); break;
  }
}

/**
 * o = op(a, b; p) over `ndim` collapsed dims. desc: shape[ndim], strides of a,
 * strides of b (elements), ndim i32 of scratch.
 */
export function binary(op: i32, ndim: i32, desc: usize, a: usize, b: usize, o: usize, p: f32): void {
  const nd = <usize>ndim;
  const shape = desc;
  const stA = desc + (nd << 2);
  const stB = desc + (nd << 3);
  const ctr = desc + nd * 12;
  const last = (nd - 1) << 2;
  const n = load<i32>(shape + last);
  const sa = load<i32>(stA + last);
  const sb = load<i32>(stB + last);
  let rows = 1;
  for (let d: usize = 0; d + 1 < nd; d++) {
    rows *= load<i32>(shape + (d << 2));
    store<i32>(ctr + (d << 2), 0);
  }
  let offA = 0;
  let offB = 0;
  let out = o;
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    binaryRowOp(op, a + (<usize>offA << 2), sa, b + (<usize>offB << 2), sb, out, n, p);
    out += rowBytes;
    // advance the odometer over the outer dims
    for (let d = <isize>nd - 2; d >= 0; d--) {
      const k = <usize>d << 2;
      const c = load<i32>(ctr + k) + 1;
      offA += load<i32>(stA + k);
      offB += load<i32>(stB + k);
      const size = load<i32>(shape + k);
      if (c < size) {
        store<i32>(ctr + k, c);
        break;
      }
      store<i32>(ctr + k, 0);
      offA -= load<i32>(stA + k) * size;
      offB -= load<i32>(stB + k) * size;
    }
  }
}

// ---- unary ops: o = f(a; p, q) ----
@final class Copy {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return a; }
}
@final class Neg {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.neg(a); }
  @inline s(a: f32, p: f32, q: f32): f32 { return -a; }
}
@final class Abs {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.abs(a); }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.abs(a); }
}
@final class Sqrt {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.sqrt(a); }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.sqrt(a); }
}
@final class Relu {
  // a where not (a <= 0): NaN stays NaN and -0 becomes +0, as with
  // f32x4.max(a, 0), whose NaN and signed-zero rules V8 spells out in about
  // eight instructions (this is two, and relu ran at a third of its speed)
  @inline v(a: v128, p: v128, q: v128): v128 { return v128.andnot(a, f32x4.le(a, f32x4.splat(0))); }
  @inline s(a: f32, p: f32, q: f32): f32 { return max<f32>(a, 0); }
}
@final class AddS {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.add(a, p); }
  @inline s(a: f32, p: f32, q: f32): f32 { return a + p; }
}
@final class MulS {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.mul(a, p); }
  @inline s(a: f32, p: f32, q: f32): f32 { return a * p; }
}
@final class RSubS {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.sub(p, a); }
  @inline s(a: f32, p: f32, q: f32): f32 { return p - a; }
}
@final class DivS {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.div(a, p); }
  @inline s(a: f32, p: f32, q: f32): f32 { return a / p; }
}
@final class RDivS {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.div(p, a); }
  @inline s(a: f32, p: f32, q: f32): f32 { return p / a; }
}
@final class Clamp {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.min(f32x4.max(a, p), q); }
  @inline s(a: f32, p: f32, q: f32): f32 { return min<f32>(max<f32>(a, p), q); }
}
@final class Sign {
  @inline v(a: v128, p: v128, q: v128): v128 {
    const one = f32x4.splat(1);
    const zero = f32x4.splat(0);
    return f32x4.sub(v128.and(f32x4.gt(a, zero), one), v128.and(f32x4.lt(a, zero), one));
  }
  @inline s(a: f32, p: f32, q: f32): f32 { return a > 0 ? 1 : a < 0 ? -1 : 0; }
}
/** 1 where p <= a <= q, else 0 */
@final class InRange {
  @inline v(a: v128, p: v128, q: v128): v128 {
    return v128.and(v128.and(f32x4.ge(a, p), f32x4.le(a, q)), f32x4.splat(1));
  }
  @inline s(a: f32, p: f32, q: f32): f32 { return a >= p && a <= q ? 1 : 0; }
}
/** p*a + q */
@final class Affine {
  @inline v(a: v128, p: v128, q: v128): v128 { return f32x4.add(f32x4.mul(a, p), q); }
  @inline s(a: f32, p: f32, q: f32): f32 { return a * p + q; }
}

// exp and tanh run in float64 lanes, two at a time: e^x as
// 2^n e^r with |r| <= ln2/2 and a Taylor polynomial of degree 8 (relative
// error under 1e-9), then rounded to float32 once, so results are within
// half an ulp but for rare halfway cases, as with the libm the host path
// uses. Float64 also covers float32's whole range with no special cases:
// e^x for x clamped to [-200, 200] overflows to inf or underflows to
// (sub)normals correctly when rounded. The scalar forms (tails, strided
// rows) repeat the vector ones operation for operation, so a value's result
// does not depend on where it sits. This replaced a float32 libm call per
// element: 2.5x (exp) to 6x (tanh) faster, and exp and tanh now run ahead of
// TF.js's wasm backend (bench/compare_unary.ts).

const LOG2E: f64 = 1.4426950408889634;
const LN2: f64 = 0.6931471805599453;
/** 2^52 + 2^51: adding it rounds a float64 to an integer held in its low bits. */
const ROUNDER: f64 = 6755399441055744.0;
const ROUNDER_BITS: i64 = 0x4338000000000000;

// The scalar forms below (row tails, strided rows) repeat expLanes and
// expRow operation for operation.
@inline function expClamp1(x: f64): f64 {
  // as f64x2.pmin/pmax: x unless the comparison holds (so NaN stays)
  x = x < -200 ? -200 : x;
  return 200 < x ? 200 : x;
}
@inline function expRound1(x: f64): f64 {
  return x * LOG2E + ROUNDER;
}
@inline function expRem1(x: f64, t: f64): f64 {
  return x - (t - ROUNDER) * LN2;
}
@inline function expPoly1(r: f64): f64 {
  const r2 = r * r;
  const a0 = r * (1.0 / 2) + 1;
  const a1 = r * (1.0 / 24) + 1.0 / 6;
  const a2 = r * (1.0 / 720) + 1.0 / 120;
  const a3 = r * (1.0 / 40320) + 1.0 / 5040;
  const b0 = r2 * a1 + a0;
  const b1 = r2 * a3 + a2;
  return r * ((r2 * r2) * b1 + b0);
}
@inline function expScale1(t: f64): f64 {
  return reinterpret<f64>((reinterpret<i64>(t) - ROUNDER_BITS + 1023) << 52);
}

/** e^x in float64: 2^n + 2^n (e^r - 1) */
@inline function exp64(x: f64): f64 {
  x = expClamp1(x);
  const t = expRound1(x);
  const s = expScale1(t);
  return s + s * expPoly1(expRem1(x, t));
}

/**
 * tanh in float64: m / (m + 2) with m = e^(2|x|) - 1, computed as
 * 2^n (e^r - 1) + (2^n - 1) so that it keeps its accuracy near 0; x's sign.
 */
@inline function tanh64(x: f64): f64 {
  const y = expClamp1(Math.abs(x) + Math.abs(x));
  const t = expRound1(y);
  const s = expScale1(t);
  const m = s * expPoly1(expRem1(y, t)) + (s - 1);
  return copysign<f64>(m / (m + 2), x);
}

// Inside a loop V8 rebuilds a vector constant at every use (four
// instructions), so the row loop below reads its constants from memory once
// into locals instead (memory loads the optimizer cannot fold back into
// constants): 25% faster than the same code with constants.
const EXP_K = memory.data<f64>([
  -200, 200, LOG2E, ROUNDER, LN2,
  1.0 / 2, 1, 1.0 / 24, 1.0 / 6, 1.0 / 720, 1.0 / 120, 1.0 / 40320, 1.0 / 5040,
]);

/** 2^n (1 + q) - 1 (tanh) or 2^n (1 + q) for float64 lanes x, constants given. */
@inline function expLanes(
  x: v128, minus1: bool, lo: v128, hi: v128, log2e: v128, rounder: v128, ln2: v128,
  c1: v128, c0: v128, c3: v128, c2: v128, c5: v128, c4: v128, c7: v128, c6: v128,
): v128 {
  x = f64x2.pmin(f64x2.pmax(x, lo), hi);
  const t = f64x2.add(f64x2.mul(x, log2e), rounder);
  const r = f64x2.sub(x, f64x2.mul(f64x2.sub(t, rounder), ln2));
  const r2 = f64x2.mul(r, r);
  const b0 = f64x2.add(f64x2.mul(r2, f64x2.add(f64x2.mul(r, c3), c2)), f64x2.add(f64x2.mul(r, c1), c0));
  const b1 = f64x2.add(f64x2.mul(r2, f64x2.add(f64x2.mul(r, c7), c6)), f64x2.add(f64x2.mul(r, c5), c4));
  const q = f64x2.mul(r, f64x2.add(f64x2.mul(f64x2.mul(r2, r2), b1), b0));
  const s = i64x2.shl(i64x2.add(i64x2.sub(t, i64x2.splat(ROUNDER_BITS)), i64x2.splat(1023)), 52);
  return minus1 ? f64x2.add(f64x2.mul(s, q), f64x2.sub(s, c0)) : f64x2.add(s, f64x2.mul(s, q));
}

/**
 * exp (or tanh, when `tanh`) of the first n & ~3 floats of a contiguous
 * row, as exp64 and tanh64 compute them; returns
 * how many it did (the caller finishes with the scalar forms).
 */
@inline function expRow(tanh: bool, a: usize, o: usize, n: i32): i32 {
  const lo = f64x2.splat(load<f64>(EXP_K)), hi = f64x2.splat(load<f64>(EXP_K, 8));
  const log2e = f64x2.splat(load<f64>(EXP_K, 16)), rounder = f64x2.splat(load<f64>(EXP_K, 24));
  const ln2 = f64x2.splat(load<f64>(EXP_K, 32));
  const c1 = f64x2.splat(load<f64>(EXP_K, 40)), c0 = f64x2.splat(load<f64>(EXP_K, 48));
  const c3 = f64x2.splat(load<f64>(EXP_K, 56)), c2 = f64x2.splat(load<f64>(EXP_K, 64));
  const c5 = f64x2.splat(load<f64>(EXP_K, 72)), c4 = f64x2.splat(load<f64>(EXP_K, 80));
  const c7 = f64x2.splat(load<f64>(EXP_K, 88)), c6 = f64x2.splat(load<f64>(EXP_K, 96));
  const end = o + (<usize>(n & ~3) << 2);
  while (o < end) {
    const v = v128.load(a);
    let x0 = f64x2.promote_low_f32x4(v);
    let x1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    if (tanh) {
      x0 = f64x2.add(f64x2.abs(x0), f64x2.abs(x0));
      x1 = f64x2.add(f64x2.abs(x1), f64x2.abs(x1));
    }
    let e0 = expLanes(x0, tanh, lo, hi, log2e, rounder, ln2, c1, c0, c3, c2, c5, c4, c7, c6);
    let e1 = expLanes(x1, tanh, lo, hi, log2e, rounder, ln2, c1, c0, c3, c2, c5, c4, c7, c6);
    if (tanh) {
      // m / (m + 2), then the input's sign
      const two = f64x2.add(c0, c0);
      e0 = f64x2.div(e0, f64x2.add(e0, two));
      e1 = f64x2.div(e1, f64x2.add(e1, two));
    }
    let r = v128.shuffle<f32>(f32x4.demote_f64x2_zero(e0), f32x4.demote_f64x2_zero(e1), 0, 1, 4, 5);
    if (tanh) {
      const sign = f32x4.splat(-0.0);
      r = v128.or(v128.andnot(r, sign), v128.and(v, sign));
    }
    v128.store(o, r);
    a += 16;
    o += 16;
  }
  return n & ~3;
}

// log runs in float64 lanes too: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
// log m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.1716, as an odd
// series in s to s^13 (relative error under 1e-11), then e ln2 + log m
// rounded once to float32. 0, negatives, inf and NaN are set apart.
const LOG_K = memory.data<f64>([
  1.4142135623730951, 0.6931471805599453, 1, 2,
  1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11, 1.0 / 13,
]);

/** log of two float64 lanes x > 0 (finite, normal), constants given. */
@inline function logLanes(
  x: v128, sqrt2: v128, ln2: v128, one: v128, two: v128,
  k3: v128, k5: v128, k7: v128, k9: v128, k11: v128, k13: v128,
): v128 {
  // m from x's mantissa and the exponent of 1; e from x's exponent
  let m = v128.or(v128.and(x, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const ei = i64x2.sub(i64x2.shr_u(x, 52), i64x2.splat(1023));
  let e = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(ei, ei, 0, 2, 0, 2));
  // m above sqrt(2): halve it (exact) and count one more in e
  const big = f64x2.gt(m, sqrt2);
  m = v128.bitselect(f64x2.mul(m, f64x2.splat(0.5)), m, big);
  e = f64x2.add(e, v128.and(big, one));
  const s = f64x2.div(f64x2.sub(m, one), f64x2.add(m, one));
  const z = f64x2.mul(s, s);
  const z2 = f64x2.mul(z, z);
  // 1/3 + z/5 + ... + z^5/13, by Estrin's scheme
  const pa = f64x2.add(f64x2.mul(z, k5), k3);
  const pb = f64x2.add(f64x2.mul(z, k9), k7);
  const pc = f64x2.add(f64x2.mul(z, k13), k11);
  const p = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(z2, pc), pb), z2), pa);
  const logm = f64x2.add(f64x2.mul(s, two), f64x2.mul(f64x2.mul(s, two), f64x2.mul(z, p)));
  return f64x2.add(f64x2.mul(e, ln2), logm);
}

/** log of the first n & ~3 floats of a contiguous row; returns how many. */
function logRow(a: usize, o: usize, n: i32): i32 {
  const sqrt2 = f64x2.splat(load<f64>(LOG_K)), ln2 = f64x2.splat(load<f64>(LOG_K, 8));
  const one = f64x2.splat(load<f64>(LOG_K, 16)), two = f64x2.splat(load<f64>(LOG_K, 24));
  const k3 = f64x2.splat(load<f64>(LOG_K, 32)), k5 = f64x2.splat(load<f64>(LOG_K, 40));
  const k7 = f64x2.splat(load<f64>(LOG_K, 48)), k9 = f64x2.splat(load<f64>(LOG_K, 56));
  const k11 = f64x2.splat(load<f64>(LOG_K, 64)), k13 = f64x2.splat(load<f64>(LOG_K, 72));
  const end = o + (<usize>(n & ~3) << 2);
  while (o < end) {
    const v = v128.load(a);
    const x0 = f64x2.promote_low_f32x4(v);
    const x1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    const l0 = logLanes(x0, sqrt2, ln2, one, two, k3, k5, k7, k9, k11, k13);
    const l1 = logLanes(x1, sqrt2, ln2, one, two, k3, k5, k7, k9, k11, k13);
    let r = v128.shuffle<f32>(f32x4.demote_f64x2_zero(l0), f32x4.demote_f64x2_zero(l1), 0, 1, 4, 5);
    // log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, log(NaN) = NaN
    const zero = f32x4.splat(0);
    r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(v, zero));
    r = v128.bitselect(f32x4.splat(NaN), r, v128.not(f32x4.ge(v, zero)));
    r = v128.bitselect(v, r, f32x4.eq(v, f32x4.splat(Infinity)));
    v128.store(o, r);
    a += 16;
    o += 16;
  }
  return n & ~3;
}

/** logRow's arithmetic for one float, operation for operation. */
@inline function log32(a: f32): f32 {
  if (a == 0) return -Infinity;
  if (!(a >= 0)) return NaN;
  if (a == Infinity) return a;
  const x = <f64>a;
  const bits = reinterpret<i64>(x);
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  let e = <f64><i32>((bits >>> 52) - 1023);
  if (m > 1.4142135623730951) {
    m = m * 0.5;
    e = e + 1;
  }
  const s = (m - 1) / (m + 1);
  const z = s * s;
  const z2 = z * z;
  const pa = z * (1.0 / 5) + 1.0 / 3;
  const pb = z * (1.0 / 9) + 1.0 / 7;
  const pc = z * (1.0 / 13) + 1.0 / 11;
  const p = (z2 * pc + pb) * z2 + pa;
  const logm = s * 2 + (s * 2) * (z * p);
  return <f32>(e * 0.6931471805599453 + logm);
}

// sigmoid runs in float32 lanes, four at a time (the float64 form was half
// TF.js's speed): e = e^-|x| as 2^n e^r with a Cody-Waite reduction and
// Cephes' degree-6 polynomial, then 1 / (1 + e) for x >= 0 and e / (1 + e)
// below, made 0 where PyTorch's float32 1 / (1 + e^-x) overflows
// (x <= -88.7228394). e^-|x| is built as (e^r 2^(n+64)) 2^-64 so that
// results below 2^-126 round to subnormals once. One division: f =
// e / (1 + e), and 1 - f for x >= 0. Measured over 2e6 values: within 2.3
// ulps of the exact sigmoid (PyTorch's float32 steps: 2.4).
const SIG_K = memory.data<f32>([
  -1.4426950408889634, 0.693359375, -2.12194440e-4,
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
  1.6666665459e-1, 5.0000001201e-1, 1, 5.421010862427522e-20, 88.72283935546875,
  12582912, // 1.5 * 2^23: adding it rounds a float32 to an integer in its low bits
]);
/** t's bits minus this are n + 191: 2^(n+64) as float32 bits once shifted. */
const SIG_BIAS = memory.data<i32>([0x4b400000 - 191]);

/** sigmoid of the first n & ~3 floats of a contiguous row; returns how many. */
function sigmoidRow(a: usize, o: usize, n: i32): i32 {
  const mlog2e = f32x4.splat(load<f32>(SIG_K));
  const ln2hi = f32x4.splat(load<f32>(SIG_K, 4)), ln2lo = f32x4.splat(load<f32>(SIG_K, 8));
  const p0 = f32x4.splat(load<f32>(SIG_K, 12)), p1 = f32x4.splat(load<f32>(SIG_K, 16));
  const p2 = f32x4.splat(load<f32>(SIG_K, 20)), p3 = f32x4.splat(load<f32>(SIG_K, 24));
  const p4 = f32x4.splat(load<f32>(SIG_K, 28)), p5 = f32x4.splat(load<f32>(SIG_K, 32));
  const one = f32x4.splat(load<f32>(SIG_K, 36)), tiny = f32x4.splat(load<f32>(SIG_K, 40));
  const big = f32x4.splat(load<f32>(SIG_K, 44)), rounder = f32x4.splat(load<f32>(SIG_K, 48));
  const bias = i32x4.splat(load<i32>(SIG_BIAS));
  const end = o + (<usize>(n & ~3) << 2);
  while (o < end) {
    const v = v128.load(a);
    const z = f32x4.abs(v);
    const zc = f32x4.pmin(z, big); // past it, 0 or 1 whatever e is

    // n = round(-|x| log2 e) in the low bits of t; m = n as a float
    const t = f32x4.add(f32x4.mul(zc, mlog2e), rounder);
    const m = f32x4.sub(t, rounder);
    const r = f32x4.sub(f32x4.sub(f32x4.neg(zc), f32x4.mul(m, ln2hi)), f32x4.mul(m, ln2lo));
    // the polynomial by Estrin's scheme: Horner's chain of ten dependent
    // operations kept the loop waiting
    const r2 = f32x4.mul(r, r);
    const pa = f32x4.add(f32x4.mul(p0, r), p1);
    const pb = f32x4.add(f32x4.mul(p2, r), p3);
    const pc = f32x4.add(f32x4.mul(p4, r), p5);
    const p = f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(pa, r2), pb), r2), pc);
    const er = f32x4.add(f32x4.add(f32x4.mul(r2, p), r), one);
    const scale = i32x4.shl(i32x4.sub(t, bias), 23);
    const e = f32x4.mul(f32x4.mul(er, scale), tiny);
    // one division: f = e / (1 + e) is sigmoid(-|x|), 1 - f sigmoid(|x|)
    const f = f32x4.div(e, f32x4.add(one, e));
    const pos = f32x4.sub(one, f);
    const neg = v128.andnot(f, f32x4.ge(z, big));
    v128.store(o, v128.bitselect(neg, pos, f32x4.lt(v, f32x4.splat(0))));
    a += 16;
    o += 16;
  }
  return n & ~3;
}

/** sigmoidRow's arithmetic for one float, operation for operation. */
@inline function sigmoid32(x: f32): f32 {
  const z = Mathf.abs(x);
  const zc: f32 = <f32>88.72283935546875 < z ? <f32>88.72283935546875 : z;
  const t: f32 = zc * <f32>-1.4426950408889634 + <f32>12582912;
  const m: f32 = t - <f32>12582912;
  const r = (-zc - m * <f32>0.693359375) - m * <f32>-2.12194440e-4;
  const r2 = r * r;
  const pa = <f32>1.9875691500e-4 * r + <f32>1.3981999507e-3;
  const pb = <f32>8.3334519073e-3 * r + <f32>4.1665795894e-2;
  const pc = <f32>1.6666665459e-1 * r + <f32>5.0000001201e-1;
  const p = (pa * r2 + pb) * r2 + pc;
  const er: f32 = (r2 * p + r) + <f32>1;
  const scale = reinterpret<f32>((reinterpret<i32>(t) - (0x4b400000 - 191)) << 23);
  const e = (er * scale) * <f32>5.421010862427522e-20;
  const f = e / (<f32>1 + e);
  if (x < 0) return z >= <f32>88.72283935546875 ? <f32>0 : f;
  return <f32>1 - f;
}

// Their v() is never used: contiguous rows go through expRow, logRow or
// sigmoidRow, the rest through s().
@final class Exp {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return <f32>exp64(<f64>a); }
}
@final class Log {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return log32(a); }
}
@final class Sigmoid {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return sigmoid32(a); }
}
@final class Tanh {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return <f32>tanh64(<f64>a); }
}
@final class PowS {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.pow(a, p); }
}
@final class RPowS {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.pow(p, a); }
}

@inline function unaryRow<Op>(simd: bool, unroll: bool, a: usize, sa: i32, o: usize, n: i32, p: f32, q: f32): void {
  const op = changetype<Op>(0);
  let i = 0;
  if (sa == 1) {
    if (simd) {
      const pv = f32x4.splat(p);
      const qv = f32x4.splat(q);
      if (unroll) {
        // as in binaryRow; not for long ops, whose loop overhead is small
        // and whose code would be four times as long
        const end = o + (<usize>(n & ~15) << 2);
        while (o < end) {
          v128.store(o, op.v(v128.load(a), pv, qv));
          v128.store(o, op.v(v128.load(a, 16), pv, qv), 16);
          v128.store(o, op.v(v128.load(a, 32), pv, qv), 32);
          v128.store(o, op.v(v128.load(a, 48), pv, qv), 48);
          a += 64;
          o += 64;
        }
        n &= 15;
      }
      for (; i + 4 <= n; i += 4) {
        const k = <usize>i << 2;
        v128.store(o + k, op.v(v128.load(a + k), pv, qv));
      }
    }
    for (; i < n; i++) {
      const k = <usize>i << 2;
      store<f32>(o + k, op.s(load<f32>(a + k), p, q));
    }
  } else {
    for (; i < n; i++) {
      store<f32>(o + (<usize>i << 2), op.s(load<f32>(a + (<usize>(i * sa) << 2)), p, q));
    }
  }
}

/** The scalar form of Op for what a row kernel left: elements `done` on. */
@inline function finishRow<Op>(done: i32, a: usize, sa: i32, o: usize, n: i32): void {
  unaryRow<Op>(false, false, a + (<usize>done << 2), sa, o + (<usize>done << 2), n - done, 0, 0);
}

function unaryRowOp(op: i32, a: usize, sa: i32, o: usize, n: i32, p: f32, q: f32): void {
  switch (op) {
    case 0: unaryRow<Copy>(true, true, a, sa, o, n, p, q); break;
    case 1: unaryRow<Neg>(true, true, a, sa, o, n, p, q); break;
    case 2: unaryRow<Abs>(true, true, a, sa, o, n, p, q); break;
    case 3: unaryRow<Sqrt>(true, true, a, sa, o, n, p, q); break;
    case 4: unaryRow<Relu>(true, true, a, sa, o, n, p, q); break;
    case 5: unaryRow<AddS>(true, true, a, sa, o, n, p, q); break;
    case 6: unaryRow<MulS>(true, true, a, sa, o, n, p, q); break;
    case 7: unaryRow<RSubS>(true, true, a, sa, o, n, p, q); break;
    case 8: unaryRow<DivS>(true, true, a, sa, o, n, p, q); break;
    case 9: unaryRow<RDivS>(true, true, a, sa, o, n, p, q); break;
    case 10: unaryRow<Clamp>(true, true, a, sa, o, n, p, q); break;
    case 11: unaryRow<Sign>(true, true, a, sa, o, n, p, q); break;
    case 12: unaryRow<Affine>(true, true, a, sa, o, n, p, q); break;
    case 13: finishRow<Exp>(sa == 1 ? expRow(false, a, o, n) : 0, a, sa, o, n); break;
    case 14: finishRow<Log>(sa == 1 ? logRow(a, o, n) : 0, a, sa, o, n); break;
    case 15: finishRow<Sigmoid>(sa == 1 ? sigmoidRow(a, o, n) : 0, a, sa, o, n); break;
    case 16: finishRow<Tanh>(sa == 1 ? expRow(true, a, o, n) : 0, a, sa, o, n); break;
    case 17: unaryRow<PowS>(false, false, a, sa, o, n, p, q); break;
    case 18: unaryRow<RPowS>(false, false, a, sa, o, n, p, q); break;
    case 19: unaryRow<InRange>(true, true, a, sa, o, n, p, q); break;
  }
}

/**
 * o = op(a; p, q) over `ndim` collapsed dims. desc: shape[ndim], strides of
 * a (elements), ndim i32 of scratch.
 */
export function unary(op: i32, ndim: i32, desc: usize, a: usize, o: usize, p: f32, q: f32): void {
  const nd = <usize>ndim;
  const shape = desc;
  const stA = desc + (nd << 2);
  const ctr = desc + (nd << 3);
  const last = (nd - 1) << 2;
  const n = load<i32>(shape + last);
  const sa = load<i32>(stA + last);
  let rows = 1;
  for (let d: usize = 0; d + 1 < nd; d++) {
    rows *= load<i32>(shape + (d << 2));
    store<i32>(ctr + (d << 2), 0);
  }
  let offA = 0;
  let out = o;
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    unaryRowOp(op, a + (<usize>offA << 2), sa, out, n, p, q);
    out += rowBytes;
    for (let d = <isize>nd - 2; d >= 0; d--) {
      const k = <usize>d << 2;
      const c = load<i32>(ctr + k) + 1;
      offA += load<i32>(stA + k);
      const size = load<i32>(shape + k);
      if (c < size) {
        store<i32>(ctr + k, c);
        break;
      }
      store<i32>(ctr + k, 0);
      offA -= load<i32>(stA + k) * size;
    }
  }
}
