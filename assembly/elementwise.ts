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

// Transcendental ops go through the scalar libm (accurate to within an ulp or
// two, as PyTorch's are); their v() is never used because unaryRow takes the
// scalar path for them.
@final class Exp {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.exp(a); }
}
@final class Log {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.log(a); }
}
@final class Sigmoid {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return 1 / (1 + Mathf.exp(-a)); }
}
@final class Tanh {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.tanh(a); }
}
@final class PowS {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.pow(a, p); }
}
@final class RPowS {
  @inline v(a: v128, p: v128, q: v128): v128 { return a; }
  @inline s(a: f32, p: f32, q: f32): f32 { return Mathf.pow(p, a); }
}

@inline function unaryRow<Op>(simd: bool, a: usize, sa: i32, o: usize, n: i32, p: f32, q: f32): void {
  const op = changetype<Op>(0);
  let i = 0;
  if (sa == 1) {
    if (simd) {
      const pv = f32x4.splat(p);
      const qv = f32x4.splat(q);
      // unrolled as in binaryRow
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

function unaryRowOp(op: i32, a: usize, sa: i32, o: usize, n: i32, p: f32, q: f32): void {
  switch (op) {
    case 0: unaryRow<Copy>(true, a, sa, o, n, p, q); break;
    case 1: unaryRow<Neg>(true, a, sa, o, n, p, q); break;
    case 2: unaryRow<Abs>(true, a, sa, o, n, p, q); break;
    case 3: unaryRow<Sqrt>(true, a, sa, o, n, p, q); break;
    case 4: unaryRow<Relu>(true, a, sa, o, n, p, q); break;
    case 5: unaryRow<AddS>(true, a, sa, o, n, p, q); break;
    case 6: unaryRow<MulS>(true, a, sa, o, n, p, q); break;
    case 7: unaryRow<RSubS>(true, a, sa, o, n, p, q); break;
    case 8: unaryRow<DivS>(true, a, sa, o, n, p, q); break;
    case 9: unaryRow<RDivS>(true, a, sa, o, n, p, q); break;
    case 10: unaryRow<Clamp>(true, a, sa, o, n, p, q); break;
    case 11: unaryRow<Sign>(true, a, sa, o, n, p, q); break;
    case 12: unaryRow<Affine>(true, a, sa, o, n, p, q); break;
    case 13: unaryRow<Exp>(false, a, sa, o, n, p, q); break;
    case 14: unaryRow<Log>(false, a, sa, o, n, p, q); break;
    case 15: unaryRow<Sigmoid>(false, a, sa, o, n, p, q); break;
    case 16: unaryRow<Tanh>(false, a, sa, o, n, p, q); break;
    case 17: unaryRow<PowS>(false, a, sa, o, n, p, q); break;
    case 18: unaryRow<RPowS>(false, a, sa, o, n, p, q); break;
    case 19: unaryRow<InRange>(true, a, sa, o, n, p, q); break;
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
