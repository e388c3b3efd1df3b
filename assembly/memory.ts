// Linear-memory layout is owned by TypeScript (src/storage.ts): everything
// from heapBase() up is the tensor working area. Nothing here allocates.

/** First byte free for tensors (after static data), aligned to 64. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

/** o[0..n) = v */
export function fill(o: usize, n: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(o + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(o + (<usize>i << 2), v);
}
