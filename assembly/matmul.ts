// C[m, n] (contiguous, row stride n) = A[m, k] . B[k, n] (+ C when acc != 0).
// A's element (i, p) is at a + 4 * (i * rsa + p * csa); B's (p, j) at
// b + 4 * (p * rsb + j * csb), so transposed operands need no copy from the
// caller. `scratch` points to matmulScratchBytes() free bytes.
// Placeholder kernel: correct for every stride, not yet tiled.

export function matmulScratchBytes(): i32 {
  return 0;
}

export function matmul(
  m: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, acc: i32, scratch: usize,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) {
        s += load<f32>(a + (<usize>(i * rsa + p * csa) << 2)) * load<f32>(b + (<usize>(p * rsb + j * csb) << 2));
      }
      const dst = c + (<usize>(i * n + j) << 2);
      store<f32>(dst, acc ? load<f32>(dst) + s : s);
    }
  }
}
