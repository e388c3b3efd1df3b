// C[m, n] (contiguous, row stride n) = A[m, k] . B[k, n] (+ C when acc != 0).
// A's element (i, p) is at a + 4 * (i * rsa + p * csa); B's (p, j) at
// b + 4 * (p * rsb + j * csb), so transposed operands need no copy from the
// caller. `scratch` points to matmulScratchBytes() free bytes.
//
// The large-problem path follows the Goto/BLIS scheme: copy a KC x NC panel
// of B and an MC x KC block of A into the scratch in the order the
// micro-kernel reads them ("packing"), then run a 5 x 8 register-tile
// micro-kernel over the block. Packing is where strides are dealt with
// (plain, transposed and general), so the micro-kernel always streams
// contiguous data;
// the blocks keep the A micro-panel in L1 and the B panel in L2. Tiny
// problems skip packing, and thin ones (m or n up to 3) run as
// matrix-vector products, where a 5 x 8 tile would be mostly padding.
//
// Each output is a sum in order over each KC block of k, the blocks added in
// order (gemv's dot products keep 8 partial sums), so errors grow like those
// of a plain loop. The blocking of k depends on k only, and the row blocking
// never changes an output's arithmetic, so splitting C's rows into calls of
// >= 4 rows each (src/matmul_threads.ts does, for n > 3) keeps every bit;
// worker threads run it while another instantiates the module, so it must
// use no static data (memory.data), which instantiation rewrites. In
// the build with relaxed SIMD the micro-kernel uses relaxed_madd, a fused
// multiply-add where the CPU has one (about 10% faster here, and rounding
// once instead of twice); elsewhere it is plain mul + add.

/**
 * Register tile: MR rows of C as MR x NR/4 f32x4 accumulators. Deno's V8
 * checks the bounds of every memory access with explicit compares, so the
 * micro-kernel is limited by how many instructions it issues per
 * multiply-add, not by the multiply-adds. 5 x 8 loads rows 0-3 of A as one
 * vector and broadcasts its lanes with shuffles (one instruction each, where
 * a broadcast load costs four with its check), and row 4 with a broadcast
 * load: 10 accumulators, 2 B vectors, A and a broadcast fit the 15 xmm
 * registers V8 allocates on x64, with one to spare for mul + add where there
 * is no fused multiply-add. Against 6 x 8 with broadcast loads (all 15
 * registers, fused multiply-add only): 3-5% slower on a quiet core, 1.2-1.5x
 * faster (micro-kernel alone) when the core is shared and its front end is
 * the limit, which on this kind of shared machine is often. With mul + add
 * it is 15% faster than 4 x 8, and 6 x 8 spills. So both builds use it, and
 * differ only in the multiply-add, which keeps the shipped module 1 KB
 * smaller. 3 x 12, unrolled loops and 6 x 8 with shuffles were slower.
 */
const MR = 5;
const NR = 8;
// Deno's V8 bounds-checks every memory access with explicit compares, which
// makes each load several instructions; that costs the micro-kernel about
// 10% (measured against a run with the checks switched off).
const KC = 256; // depth of a block: A micro-panel 4 KiB, B sliver 8 KiB
const MC = 120; // rows of A per packed block (a multiple of MR; 120 KiB)
const NC = 256; // columns of B per packed panel (256 KiB)
const A_BYTES = MC * KC * 4;
const B_BYTES = KC * NC * 4;
const TILE_BYTES = MR * NR * 4;
/** Up to this many multiply-adds, packing costs more than it saves. */
const DIRECT_MAX = 48;
/** Floats of scratch gemv may use to gather a strided vector. */
const GATHER_MAX = (A_BYTES + B_BYTES) / 4;
/** Up to this many rows (or columns) of C, matrix-vector products win. */
const GEMV_MAX = 3;

/** Rows of the register tile: src/matmul_threads.ts cuts C into multiples of it. */
export function matmulTileRows(): i32 {
  return MR;
}

/** Bytes of scratch `matmul` needs: the packed A block, B panel and a tile. */
export function matmulScratchBytes(): i32 {
  return A_BYTES + B_BYTES + TILE_BYTES;
}

export function matmul(
  m: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, acc: i32, scratch: usize,
): void {
  if (<i64>m * n * k <= DIRECT_MAX) {
    direct(m, n, k, a, rsa, csa, b, rsb, csb, c, acc);
  } else if (m == 1 || (m <= GEMV_MAX && (csb == 1 || rsb == 1))) {
    // Row i of C is B^T times row i of A (C^T = B^T . A^T).
    for (let i = 0; i < m; i++) {
      gemv(n, k, b, csb, rsb, at(a, i, rsa), csa, c + <usize>i * n * 4, 1, acc, scratch);
    }
  } else if (n == 1 || (n <= GEMV_MAX && (csa == 1 || rsa == 1))) {
    // Column j of C is A times column j of B.
    for (let j = 0; j < n; j++) {
      gemv(m, k, a, rsa, csa, at(b, j, csb), rsb, c + (<usize>j << 2), n, acc, scratch);
    }
  } else {
    gemm(m, n, k, a, rsa, csa, b, rsb, csb, c, acc, scratch);
  }
}

@inline function at(base: usize, i: i32, stride: i32): usize {
  return base + ((<usize>i * <usize>stride) << 2);
}

/** Splits `len` into equal blocks of at most `max`, rounded up to `unit`. */
@inline function blockSize(len: i32, max: i32, unit: i32): i32 {
  const count = (len + max - 1) / max;
  const size = (len + count - 1) / count;
  return (size + unit - 1) / unit * unit;
}

// ---- packed path ----

function gemm(
  m: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, acc: i32, scratch: usize,
): void {
  const packedA = scratch;
  const packedB = scratch + A_BYTES;
  const tile = packedB + B_BYTES;
  const ldc = <usize>n << 2;
  const ncMax = blockSize(n, NC, NR);
  const kcMax = blockSize(k, KC, 1);
  const mcMax = blockSize(m, MC, MR);
  for (let jc = 0; jc < n; jc += ncMax) {
    const nc = min(ncMax, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      // Odd depths are padded with a zero row so the kernel can step by 2.
      const kcPad = (kc + 1) & ~1;
      packB(kc, nc, at(at(b, pc, rsb), jc, csb), rsb, csb, packedB);
      const add = acc != 0 || pc > 0;
      for (let ic = 0; ic < m; ic += mcMax) {
        const mc = min(mcMax, m - ic);
        packA(mc, kc, at(at(a, ic, rsa), pc, csa), rsa, csa, packedA);
        for (let ir = 0; ir < mc; ir += MR) {
          const panelA = packedA + <usize>ir * <usize>kcPad * 4;
          const rowC = c + <usize>(ic + ir) * ldc + (<usize>jc << 2);
          for (let jr = 0; jr < nc; jr += NR) {
            const mr = min(MR, mc - ir);
            const pb = packedB + <usize>jr * <usize>kcPad * 4;
            const dst = rowC + (<usize>jr << 2);
            // a panel with at most 4 rows left runs the 4 x 8 kernel: no
            // wasted row, and a full 4-row tile stores directly
            if (mr <= 4) kernel4(kcPad, panelA, pb, dst, ldc, mr, min(NR, nc - jr), add, tile);
            else kernel5(kcPad, panelA, pb, dst, ldc, min(NR, nc - jr), add, tile);
          }
        }
      }
    }
  }
}

/** 4 x 4 transpose of rows r0..r3, written as 4 rows `stride` bytes apart. */
@inline function transpose4(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
}

/**
 * B[kc, nc] -> slivers of NR columns, each kc rows of NR floats, then a zero
 * row when kc is odd; columns past nc are zero.
 */
function packB(kc: i32, nc: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  const rs = <usize>rsb << 2;
  const cs = <usize>csb << 2;
  const kcPad = (kc + 1) & ~1;
  const sliver = <usize>kcPad * NR * 4;
  const full = nc & ~(NR - 1);
  if (csb == 1) {
    // Rows of B are contiguous: copy 8 rows at a time into each sliver, so
    // B is read as 8 forward streams. (Walking down all kc rows per sliver,
    // or one row across all slivers, was 2x slower: cache-set conflicts.)
    for (let p0 = 0; p0 < kc; p0 += 8) {
      const rows = min(8, kc - p0);
      const s0 = b + <usize>p0 * rs;
      let d0 = dst + <usize>p0 * NR * 4;
      for (let j = 0; j < full; j += NR) {
        let s = s0 + (<usize>j << 2);
        let d = d0;
        for (let p = 0; p < rows; p++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += rs;
          d += NR * 4;
        }
        d0 += sliver;
      }
    }
  } else if (rsb == 1) {
    // Columns of B are contiguous (a transposed operand): 4 x 4 transposes.
    for (let j = 0; j < full; j += NR) {
      const s0 = b + <usize>j * cs;
      const s4 = s0 + 4 * cs;
      let d = dst + <usize>(j / NR) * sliver;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        transpose4(d, NR * 4,
          v128.load(s0 + o), v128.load(s0 + cs + o), v128.load(s0 + 2 * cs + o), v128.load(s0 + 3 * cs + o));
        transpose4(d + 16, NR * 4,
          v128.load(s4 + o), v128.load(s4 + cs + o), v128.load(s4 + 2 * cs + o), v128.load(s4 + 3 * cs + o));
        d += 4 * NR * 4;
      }
      for (; p < kc; p++) {
        for (let q = 0; q < NR; q++) store<f32>(d + (<usize>q << 2), load<f32>(at(s0, p, 1) + <usize>q * cs));
        d += NR * 4;
      }
    }
  } else {
    for (let j = 0; j < full; j += NR) packEdgeB(kc, NR, b + <usize>j * cs, rs, cs, dst + <usize>(j / NR) * sliver);
  }
  if (full < nc) packEdgeB(kc, nc - full, b + <usize>full * cs, rs, cs, dst + <usize>(full / NR) * sliver);
  if (kc & 1) {
    for (let j = 0; j < nc; j += NR) {
      const d = dst + <usize>(j / NR) * sliver + <usize>kc * NR * 4;
      v128.store(d, f32x4.splat(0));
      v128.store(d, f32x4.splat(0), 16);
    }
  }
}

/** One sliver of w <= NR columns, any strides (bytes), zero-padded to NR. */
function packEdgeB(kc: i32, w: i32, b: usize, rs: usize, cs: usize, dst: usize): void {
  for (let p = 0; p < kc; p++) {
    const s = b + <usize>p * rs;
    let q = 0;
    for (; q < w; q++) store<f32>(dst + (<usize>q << 2), load<f32>(s + <usize>q * cs));
    for (; q < NR; q++) store<f32>(dst + (<usize>q << 2), 0);
    dst += NR * 4;
  }
}

/**
 * A[mc, kc] -> micro-panels of MR rows, each kc columns of MR floats, then
 * a zero column when kc is odd; rows past mc are zero.
 */
function packA(mc: i32, kc: i32, a: usize, rsa: i32, csa: i32, dst: usize): void {
  const rs = <usize>rsa << 2;
  const cs = <usize>csa << 2;
  const kcPad = (kc + 1) & ~1;
  const panel = <usize>kcPad * MR * 4;
  const full = mc - mc % MR;
  if (rsa == 1) {
    // Columns of A are contiguous (a transposed operand): 8 columns at a
    // time into each micro-panel, as in packB.
    for (let p0 = 0; p0 < kc; p0 += 8) {
      const cols = min(8, kc - p0);
      const s0 = a + <usize>p0 * cs;
      let d0 = dst + <usize>p0 * MR * 4;
      for (let i = 0; i < full; i += MR) {
        let s = s0 + (<usize>i << 2);
        let d = d0;
        for (let p = 0; p < cols; p++) {
          v128.store(d, v128.load(s));
          store<f32>(d, load<f32>(s, 16), 16);
          s += cs;
          d += MR * 4;
        }
        d0 += panel;
      }
    }
  } else if (csa == 1) {
    // Rows of A are contiguous: 4 x 4 transposes of rows 0-3, and row 4
    // scattered a lane at a time.
    for (let i = 0; i < full; i += MR) {
      const s = a + <usize>i * rs;
      let d = dst + <usize>(i / MR) * panel;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        transpose4(d, MR * 4,
          v128.load(s + o), v128.load(s + rs + o), v128.load(s + 2 * rs + o), v128.load(s + 3 * rs + o));
        const r4 = v128.load(s + 4 * rs + o);
        v128.store32_lane(d, r4, 0, 16);
        v128.store32_lane(d, r4, 1, 16 + MR * 4);
        v128.store32_lane(d, r4, 2, 16 + 2 * MR * 4);
        v128.store32_lane(d, r4, 3, 16 + 3 * MR * 4);
        d += 4 * MR * 4;
      }
      for (; p < kc; p++) {
        for (let q = 0; q < MR; q++) store<f32>(d + (<usize>q << 2), load<f32>(at(s, p, 1) + <usize>q * rs));
        d += MR * 4;
      }
    }
  } else {
    for (let i = 0; i < full; i += MR) packEdgeA(kc, MR, a + <usize>i * rs, rs, cs, dst + <usize>(i / MR) * panel);
  }
  if (full < mc) packEdgeA(kc, mc - full, a + <usize>full * rs, rs, cs, dst + <usize>(full / MR) * panel);
  if (kc & 1) {
    for (let i = 0; i < mc; i += MR) {
      const d = dst + <usize>(i / MR) * panel + <usize>kc * MR * 4;
      v128.store(d, f32x4.splat(0));
      store<f32>(d, 0, 16);
    }
  }
}

/** One micro-panel of h <= MR rows, any strides (bytes), zero-padded to MR. */
function packEdgeA(kc: i32, h: i32, a: usize, rs: usize, cs: usize, dst: usize): void {
  for (let p = 0; p < kc; p++) {
    const s = a + <usize>p * cs;
    let q = 0;
    for (; q < h; q++) store<f32>(dst + (<usize>q << 2), load<f32>(s + <usize>q * rs));
    for (; q < MR; q++) store<f32>(dst + (<usize>q << 2), 0);
    dst += MR * 4;
  }
}

/** a * b + c, fused where the build has relaxed SIMD. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * C[mr, nr] (+)= packed A micro-panel . packed B sliver, over an even depth
 * `kc`, with a 4 x 8 tile (the first 4 rows of an MR-row panel). Edge
 * tiles (mr < 4 or nr < NR) go through `tile`.
 */
function kernel4(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mr: i32, nr: i32, add: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // Two steps per iteration halve the loop overhead (V8 adds an interrupt
  // check to every back edge); more unrolling spills registers.
  for (let p = 0; p < kc; p += 2) {
    let b0 = v128.load(pb);
    let b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    b0 = v128.load(pb, 32);
    b1 = v128.load(pb, 48);
    x = v128.load32_splat(pa, MR * 4 + 0);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, MR * 4 + 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, MR * 4 + 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, MR * 4 + 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    pa += 2 * MR * 4;
    pb += 2 * NR * 4;
  }
  if (mr == 4 && nr == NR) {
    const c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc;
    if (add) {
      c00 = f32x4.add(v128.load(c), c00);
      c01 = f32x4.add(v128.load(c, 16), c01);
      c10 = f32x4.add(v128.load(c1), c10);
      c11 = f32x4.add(v128.load(c1, 16), c11);
      c20 = f32x4.add(v128.load(c2), c20);
      c21 = f32x4.add(v128.load(c2, 16), c21);
      c30 = f32x4.add(v128.load(c3), c30);
      c31 = f32x4.add(v128.load(c3, 16), c31);
    }
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c1, c10);
    v128.store(c1, c11, 16);
    v128.store(c2, c20);
    v128.store(c2, c21, 16);
    v128.store(c3, c30);
    v128.store(c3, c31, 16);
    return;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
  storeTile(c, ldc, mr, nr, add, tile);
}

/**
 * C[5, nr] (+)= packed A micro-panel . packed B sliver, one step of k per
 * iteration (unrolled, V8 interleaves the steps and spills). Edge tiles
 * (nr < NR) go through `tile`.
 */
function kernel5(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, nr: i32, add: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  const end = pb + <usize>kc * NR * 4;
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a = v128.load(pa);
    let x = v128.shuffle<f32>(a, a, 0, 0, 0, 0);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.shuffle<f32>(a, a, 1, 1, 1, 1);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.shuffle<f32>(a, a, 2, 2, 2, 2);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.shuffle<f32>(a, a, 3, 3, 3, 3);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    x = v128.load32_splat(pa, 16);
    c40 = madd(x, b0, c40);
    c41 = madd(x, b1, c41);
    pa += MR * 4;
    pb += NR * 4;
  }
  if (nr == NR) {
    const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc;
    if (add) {
      c00 = f32x4.add(v128.load(c), c00);
      c01 = f32x4.add(v128.load(c, 16), c01);
      c10 = f32x4.add(v128.load(c1), c10);
      c11 = f32x4.add(v128.load(c1, 16), c11);
      c20 = f32x4.add(v128.load(c2), c20);
      c21 = f32x4.add(v128.load(c2, 16), c21);
      c30 = f32x4.add(v128.load(c3), c30);
      c31 = f32x4.add(v128.load(c3, 16), c31);
      c40 = f32x4.add(v128.load(c4), c40);
      c41 = f32x4.add(v128.load(c4, 16), c41);
    }
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c1, c10);
    v128.store(c1, c11, 16);
    v128.store(c2, c20);
    v128.store(c2, c21, 16);
    v128.store(c3, c30);
    v128.store(c3, c31, 16);
    v128.store(c4, c40);
    v128.store(c4, c41, 16);
    return;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
  v128.store(tile, c40, 128);
  v128.store(tile, c41, 144);
  storeTile(c, ldc, 5, nr, add, tile);
}

/** Adds or writes the top-left mr x nr of an edge tile (rows NR floats apart) to C. */
function storeTile(c: usize, ldc: usize, mr: i32, nr: i32, add: bool, tile: usize): void {
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ldc;
    const t = tile + <usize>i * NR * 4;
    for (let j = 0; j < nr; j++) {
      const d = row + (<usize>j << 2);
      const v = load<f32>(t + (<usize>j << 2));
      store<f32>(d, add ? load<f32>(d) + v : v);
    }
  }
}

// ---- small and matrix-vector shapes ----

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline function storeOut(d: usize, s: f32, acc: i32): void {
  store<f32>(d, acc ? load<f32>(d) + s : s);
}

@inline function fill0(o: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(o + (<usize>i << 2), f32x4.splat(0));
  for (; i < n; i++) store<f32>(o + (<usize>i << 2), 0);
}

function direct(
  m: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, acc: i32,
): void {
  for (let i = 0; i < m; i++) {
    const ai = at(a, i, rsa);
    for (let j = 0; j < n; j++) {
      const bj = at(b, j, csb);
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += load<f32>(at(ai, p, csa)) * load<f32>(at(bj, p, rsb));
      storeOut(c + (<usize>(i * n + j) << 2), s, acc);
    }
  }
}

/**
 * y(r) (+)= sum over p of M(r, p) x(p) for r < rows, where M(r, p) is at
 * mat + 4 * (r * rs + p * cs), x(p) at x + 4 * p * xs and y(r) at
 * y + 4 * r * ys. Uses the scratch for a gathered copy of a strided x.
 */
function gemv(
  rows: i32, k: i32, mat: usize, rs: i32, cs: i32,
  x: usize, xs: i32, y: usize, ys: i32, acc: i32, scratch: usize,
): void {
  let r = 0;
  if (cs == 1 && xs != 1 && k <= GATHER_MAX) {
    // A strided x is gathered once so that the dot products can use SIMD.
    for (let p = 0; p < k; p++) store<f32>(scratch + (<usize>p << 2), load<f32>(at(x, p, xs)));
    x = scratch;
    xs = 1;
  }
  if (cs == 1 && xs == 1) {
    // Rows of M and x are contiguous: dot products with 8 lanes of partial
    // sums per row, two rows at a time (x loaded once for both; four
    // independent sums hide the latency of the adds; more rows were slower
    // on matrices that do not fit in cache).
    for (; r + 2 <= rows; r += 2) {
      const r0 = at(mat, r, rs), r1 = at(mat, r + 1, rs);
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let p = 0;
      for (; p + 8 <= k; p += 8) {
        const o = <usize>p << 2;
        const x0 = v128.load(x + o), x1 = v128.load(x + o, 16);
        s00 = f32x4.add(s00, f32x4.mul(v128.load(r0 + o), x0));
        s01 = f32x4.add(s01, f32x4.mul(v128.load(r0 + o, 16), x1));
        s10 = f32x4.add(s10, f32x4.mul(v128.load(r1 + o), x0));
        s11 = f32x4.add(s11, f32x4.mul(v128.load(r1 + o, 16), x1));
      }
      let t0 = hsum(f32x4.add(s00, s01)), t1 = hsum(f32x4.add(s10, s11));
      for (; p < k; p++) {
        const o = <usize>p << 2;
        const xp = load<f32>(x + o);
        t0 += load<f32>(r0 + o) * xp;
        t1 += load<f32>(r1 + o) * xp;
      }
      storeOut(at(y, r, ys), t0, acc);
      storeOut(at(y, r + 1, ys), t1, acc);
    }
    for (; r < rows; r++) {
      const row = at(mat, r, rs);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      let p = 0;
      for (; p + 8 <= k; p += 8) {
        const o = <usize>p << 2;
        s0 = f32x4.add(s0, f32x4.mul(v128.load(row + o), v128.load(x + o)));
        s1 = f32x4.add(s1, f32x4.mul(v128.load(row + o, 16), v128.load(x + o, 16)));
      }
      let s = hsum(f32x4.add(s0, s1));
      for (; p < k; p++) s += load<f32>(row + (<usize>p << 2)) * load<f32>(x + (<usize>p << 2));
      storeOut(at(y, r, ys), s, acc);
    }
  } else if (rs == 1 && (ys == 1 || rows <= GATHER_MAX)) {
    // Columns of M are contiguous: y += M[:, p] * x(p), four columns per
    // sweep over y so M streams in order and y stays in cache. A strided y
    // is accumulated in the scratch, then scattered.
    const out = ys == 1 ? y : scratch;
    if (ys != 1 || !acc) fill0(out, rows);
    const cb = <usize>cs << 2;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const x0 = load<f32>(at(x, p, xs)), x1 = load<f32>(at(x, p + 1, xs));
      const x2 = load<f32>(at(x, p + 2, xs)), x3 = load<f32>(at(x, p + 3, xs));
      const v0 = f32x4.splat(x0), v1 = f32x4.splat(x1), v2 = f32x4.splat(x2), v3 = f32x4.splat(x3);
      const m0 = at(mat, p, cs), m1 = m0 + cb, m2 = m0 + 2 * cb, m3 = m0 + 3 * cb;
      let i = 0;
      for (; i + 4 <= rows; i += 4) {
        const o = <usize>i << 2;
        let v = v128.load(out + o);
        v = f32x4.add(v, f32x4.mul(v0, v128.load(m0 + o)));
        v = f32x4.add(v, f32x4.mul(v1, v128.load(m1 + o)));
        v = f32x4.add(v, f32x4.mul(v2, v128.load(m2 + o)));
        v = f32x4.add(v, f32x4.mul(v3, v128.load(m3 + o)));
        v128.store(out + o, v);
      }
      for (; i < rows; i++) {
        const o = <usize>i << 2;
        store<f32>(out + o, (((load<f32>(out + o) + x0 * load<f32>(m0 + o)) + x1 * load<f32>(m1 + o)) +
          x2 * load<f32>(m2 + o)) + x3 * load<f32>(m3 + o));
      }
    }
    for (; p < k; p++) {
      const x0 = load<f32>(at(x, p, xs));
      const v0 = f32x4.splat(x0);
      const m0 = at(mat, p, cs);
      let i = 0;
      for (; i + 4 <= rows; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, f32x4.add(v128.load(out + o), f32x4.mul(v0, v128.load(m0 + o))));
      }
      for (; i < rows; i++) {
        const o = <usize>i << 2;
        store<f32>(out + o, load<f32>(out + o) + x0 * load<f32>(m0 + o));
      }
    }
    if (ys != 1) {
      for (let i = 0; i < rows; i++) {
        const d = at(y, i, ys);
        const v = load<f32>(scratch + (<usize>i << 2));
        store<f32>(d, acc ? load<f32>(d) + v : v);
      }
    }
    return;
  }
  for (; r < rows; r++) {
    const row = at(mat, r, rs);
    let s: f32 = 0;
    for (let p = 0; p < k; p++) s += load<f32>(at(row, p, cs)) * load<f32>(at(x, p, xs));
    storeOut(at(y, r, ys), s, acc);
  }
}
