/**
 * Single-threaded matmul throughput through the public API: square N x N
 * products, and the transposed forms backward uses (A^T . B and A . B^T, as
 * strided views, no copy).
 *
 *   deno bench --allow-read bench/matmul_bench.ts
 *   deno run bench/matmul_bench.ts     (prints GFLOP/s)
 *
 * GFLOP/s = 2 N^3 / time. Outputs are disposed so that the figures are the
 * kernel's own, not the cost of evicting dropped outputs.
 *
 * @module
 */
import { memoryStats, rand, type Tensor } from "../mod.ts";

// WebAssembly memory pages are faulted in on first use, while the working
// area's allocation cursor makes its first sweep (see src/storage.ts): tens
// of microseconds per small output, which would swamp the 64 x 64 case.
// Sweep the area once, so that the figures are the kernel's.
{
  const big = rand(1024, 1024);
  const sweeps = Math.ceil(memoryStats().budgetBytes / (4 << 20)) + 1;
  for (let i = 0; i < sweeps; i++) big.mul(big).dispose();
  big.dispose();
}

function operands(n: number): { a: Tensor; b: Tensor } {
  return { a: rand(n, n), b: rand(n, n) };
}

/** name, N, the call */
export const cases: [string, number, () => Tensor][] = [];
for (const n of [64, 128, 256, 512, 1024]) {
  const { a, b } = operands(n);
  cases.push([`matmul ${n}x${n}`, n, () => a.matmul(b)]);
}
for (const n of [256, 1024]) {
  const { a, b } = operands(n);
  const at = a.t(), bt = b.t();
  cases.push([`matmul ${n}x${n} A^T.B`, n, () => at.matmul(b)]);
  cases.push([`matmul ${n}x${n} A.B^T`, n, () => a.matmul(bt)]);
}

for (const [name, , fn] of cases) Deno.bench(name, () => fn().dispose());

if (import.meta.main) {
  for (const [name, n, fn] of cases) {
    const flops = 2 * n ** 3;
    // warm up past the baseline compiler, then time runs of >= 20 ms
    const warmEnd = performance.now() + 200;
    while (performance.now() < warmEnd) fn().dispose();
    const reps = Math.max(1, Math.round(1e9 / flops));
    const times: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) fn().dispose();
      times.push((performance.now() - t0) / reps);
    }
    times.sort((x, y) => x - y);
    const gflops = (ms: number) => (flops / ms / 1e6).toFixed(1).padStart(6);
    console.log(
      `${name.padEnd(24)} best ${gflops(times[0])} GFLOP/s  median ${
        gflops(times[times.length >> 1])
      } GFLOP/s`,
    );
  }
}
