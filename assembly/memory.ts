// Linear-memory layout is owned by TypeScript (src/storage.ts): everything
// from heapBase() up is the tensor working area. Nothing here allocates.

/** First byte free for tensors (after static data), aligned to 64. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

/** o[0..n) = v */
export function fill(o: usize, n: i32, v: f32): void {
  const vv = f32x4.splat(v);
  // 16 floats per iteration: twice as fast as one vector per iteration
  const end = o + (<usize>(n & ~15) << 2);
  while (o < end) {
    v128.store(o, vv);
    v128.store(o, vv, 16);
    v128.store(o, vv, 32);
    v128.store(o, vv, 48);
    o += 64;
  }
  n &= 15;
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(o + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(o + (<usize>i << 2), v);
}
