// Reductions over the middle axis of a contiguous [outer, r, inner] block:
// o[outer, inner] = reduce over r. Any set of adjacent dims collapses to this
// form (src/shape.ts); non-adjacent sets are reduced one run at a time.
// Op codes: 0 sum, 1 max, 2 min. For max/min, `oi` (if not 0) receives the
// index along r of the selected element, as f32 (exact below 2^24); NaN wins
// and the first occurrence wins ties, as in PyTorch.

// Sums run in f32 SIMD lanes over blocks of this many elements, and the
// block totals are added in f64, so long sums stay accurate (PyTorch uses a
// cascade sum for the same reason).
const BLOCK: i32 = 1024;

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

function sumContiguous(a: usize, n: i32): f32 {
  let total: f64 = 0;
  let i = 0;
  while (i < n) {
    const end = min(n, i + BLOCK);
    // eight independent sums: enough adds in flight to read at the cache's
    // speed (four left it waiting on the adds' latency)
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
    let p = a + (<usize>i << 2);
    const stop = p + (<usize>((end - i) & ~31) << 2);
    while (p < stop) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      s4 = f32x4.add(s4, v128.load(p, 64));
      s5 = f32x4.add(s5, v128.load(p, 80));
      s6 = f32x4.add(s6, v128.load(p, 96));
      s7 = f32x4.add(s7, v128.load(p, 112));
      p += 128;
    }
    i += (end - i) & ~31;
    for (; i + 4 <= end; i += 4) s0 = f32x4.add(s0, v128.load(a + (<usize>i << 2)));
    let s = hsum(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))));
    for (; i < end; i++) s += load<f32>(a + (<usize>i << 2));
    total += <f64>s;
  }
  return <f32>total;
}

/** max (sign 1) or min (sign -1) of a contiguous run, with its index */
@inline function pick(better: bool, isNaN: bool, bestIsNaN: bool): bool {
  return !bestIsNaN && (better || isNaN);
}

function extremeContiguous(isMax: bool, a: usize, n: i32, o: usize, oi: usize): void {
  let best = load<f32>(a);
  let bi = 0;
  for (let i = 1; i < n; i++) {
    const v = load<f32>(a + (<usize>i << 2));
    if (pick(isMax ? v > best : v < best, v != v, best != best)) {
      best = v;
      bi = i;
    }
  }
  store<f32>(o, best);
  if (oi) store<f32>(oi, <f32>bi);
}

// Strided sums (reducing a dim that is not the last) add float32 partials of
// this many rows into float64 totals, as sumContiguous does per block, so
// long columns stay accurate too.
const ROWS: i32 = 64;

@inline function storeF64x2(dst: usize, v: v128): void {
  store<f32>(dst, <f32>f64x2.extract_lane(v, 0));
  store<f32>(dst, <f32>f64x2.extract_lane(v, 1), 4);
}

@inline function promoteHigh(s: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(s, s, 2, 3, 0, 1));
}

function sumStrided(a: usize, r: i32, inner: i32, o: usize): void {
  const stride = <usize>inner << 2;
  let j = 0;
  // 16 columns at a time: each row contributes one whole cache line, and
  // four independent sums hide the adds' latency (one sum per 4 columns
  // waited on it every row)
  for (; j + 16 <= inner; j += 16) {
    const col = a + (<usize>j << 2);
    let t0 = f64x2.splat(0), t1 = f64x2.splat(0), t2 = f64x2.splat(0), t3 = f64x2.splat(0);
    let t4 = f64x2.splat(0), t5 = f64x2.splat(0), t6 = f64x2.splat(0), t7 = f64x2.splat(0);
    let k = 0;
    while (k < r) {
      const end = min(r, k + ROWS);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let p = col + <usize>k * stride;
      for (; k < end; k++) {
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
        s2 = f32x4.add(s2, v128.load(p, 32));
        s3 = f32x4.add(s3, v128.load(p, 48));
        p += stride;
      }
      t0 = f64x2.add(t0, f64x2.promote_low_f32x4(s0));
      t1 = f64x2.add(t1, promoteHigh(s0));
      t2 = f64x2.add(t2, f64x2.promote_low_f32x4(s1));
      t3 = f64x2.add(t3, promoteHigh(s1));
      t4 = f64x2.add(t4, f64x2.promote_low_f32x4(s2));
      t5 = f64x2.add(t5, promoteHigh(s2));
      t6 = f64x2.add(t6, f64x2.promote_low_f32x4(s3));
      t7 = f64x2.add(t7, promoteHigh(s3));
    }
    const dst = o + (<usize>j << 2);
    storeF64x2(dst, t0);
    storeF64x2(dst + 8, t1);
    storeF64x2(dst + 16, t2);
    storeF64x2(dst + 24, t3);
    storeF64x2(dst + 32, t4);
    storeF64x2(dst + 40, t5);
    storeF64x2(dst + 48, t6);
    storeF64x2(dst + 56, t7);
  }
  for (; j + 4 <= inner; j += 4) {
    const col = a + (<usize>j << 2);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    let k = 0;
    while (k < r) {
      const end = min(r, k + ROWS);
      let s = f32x4.splat(0);
      for (; k < end; k++) s = f32x4.add(s, v128.load(col + <usize>k * stride));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(s));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(s, s, 2, 3, 0, 1)));
    }
    const dst = o + (<usize>j << 2);
    store<f32>(dst, <f32>f64x2.extract_lane(lo, 0));
    store<f32>(dst, <f32>f64x2.extract_lane(lo, 1), 4);
    store<f32>(dst, <f32>f64x2.extract_lane(hi, 0), 8);
    store<f32>(dst, <f32>f64x2.extract_lane(hi, 1), 12);
  }
  for (; j < inner; j++) {
    const col = a + (<usize>j << 2);
    let total: f64 = 0;
    let k = 0;
    while (k < r) {
      const end = min(r, k + ROWS);
      let s: f32 = 0;
      for (; k < end; k++) s += load<f32>(col + <usize>k * stride);
      total += <f64>s;
    }
    store<f32>(o + (<usize>j << 2), <f32>total);
  }
}

function extremeStrided(isMax: bool, a: usize, r: i32, inner: i32, o: usize, oi: usize): void {
  const stride = <usize>inner << 2;
  let j = 0;
  for (; j + 4 <= inner; j += 4) {
    const col = a + (<usize>j << 2);
    let best = v128.load(col);
    let idx = f32x4.splat(0);
    for (let k = 1; k < r; k++) {
      const v = v128.load(col + <usize>k * stride);
      const better = isMax ? f32x4.gt(v, best) : f32x4.lt(v, best);
      // take v where it is better or NaN, unless best is already NaN
      const m = v128.and(v128.or(better, f32x4.ne(v, v)), f32x4.eq(best, best));
      best = v128.bitselect(v, best, m);
      idx = v128.bitselect(f32x4.splat(<f32>k), idx, m);
    }
    v128.store(o + (<usize>j << 2), best);
    if (oi) v128.store(oi + (<usize>j << 2), idx);
  }
  for (; j < inner; j++) {
    const col = a + (<usize>j << 2);
    let best = load<f32>(col);
    let bi = 0;
    for (let k = 1; k < r; k++) {
      const v = load<f32>(col + <usize>k * stride);
      if (pick(isMax ? v > best : v < best, v != v, best != best)) {
        best = v;
        bi = k;
      }
    }
    store<f32>(o + (<usize>j << 2), best);
    if (oi) store<f32>(oi + (<usize>j << 2), <f32>bi);
  }
}

/** o[outer, inner] = op over r of a[outer, r, inner] (r >= 1 for max/min). */
export function reduce(op: i32, outer: i32, r: i32, inner: i32, a: usize, o: usize, oi: usize): void {
  const inBytes = <usize>r * <usize>inner << 2;
  const outBytes = <usize>inner << 2;
  for (let b = 0; b < outer; b++) {
    const src = a + <usize>b * inBytes;
    const dst = o + <usize>b * outBytes;
    const dsti = oi ? oi + <usize>b * outBytes : 0;
    if (op == 0) {
      if (inner == 1) store<f32>(dst, sumContiguous(src, r));
      else sumStrided(src, r, inner, dst);
    } else {
      if (inner == 1) extremeContiguous(op == 1, src, r, dst, dsti);
      else extremeStrided(op == 1, src, r, inner, dst, dsti);
    }
  }
}
