/**
 * Matmul throughput through the public API: square N x N products and the
 * transposed forms backward uses (A^T . B and A . B^T, as strided views, no
 * copy) on one thread; N x N on all threads (where workers are available);
 * and the raw kernel of each build (plain SIMD, relaxed SIMD), to compare
 * them on this engine.
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
import {
  matmulWorkersReady,
  setMatmulThreading,
} from "../src/matmul_threads.ts";
import {
  instantiateKernels,
  type KernelVariant,
  maxThreads,
  relaxedSimdSupported,
} from "../src/wasm.ts";

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

interface Case {
  name: string;
  n: number;
  /** threads the matmul may use */
  threads: number;
  run: () => void;
}

export const cases: Case[] = [];
for (const n of [64, 128, 256, 512, 1024]) {
  const { a, b } = operands(n);
  cases.push({
    name: `matmul ${n}x${n}`,
    n,
    threads: 1,
    run: () => a.matmul(b).dispose(),
  });
}
for (const n of [256, 1024]) {
  const { a, b } = operands(n);
  const at = a.t(), bt = b.t();
  cases.push({
    name: `matmul ${n}x${n} A^T.B`,
    n,
    threads: 1,
    run: () => at.matmul(b).dispose(),
  });
  cases.push({
    name: `matmul ${n}x${n} A.B^T`,
    n,
    threads: 1,
    run: () => a.matmul(bt).dispose(),
  });
}
if (maxThreads > 1) {
  for (const n of [256, 512, 1024]) {
    const { a, b } = operands(n);
    cases.push({
      name: `matmul ${n}x${n} ${maxThreads} threads`,
      n,
      threads: maxThreads,
      run: () => a.matmul(b).dispose(),
    });
  }
}

/** The raw kernel of one build on its own memory: C = A . B, all N x N. */
function rawKernel(variant: KernelVariant, n: number): () => void {
  const k = instantiateKernels(variant);
  const scratch = k.heapBase();
  const a = (scratch + k.matmulScratchBytes() + 63) & ~63;
  const b = a + 4 * n * n, c = b + 4 * n * n;
  const end = c + 4 * n * n;
  k.memory.grow(
    Math.max(0, Math.ceil((end - k.memory.buffer.byteLength) / 65536)),
  );
  const f = new Float32Array(k.memory.buffer);
  for (let i = a >> 2; i < c >> 2; i++) f[i] = Math.random();
  return () => k.matmul(n, n, n, a, n, 1, b, n, 1, c, 0, scratch);
}

const variants: KernelVariant[] = relaxedSimdSupported
  ? ["simd", "relaxed"]
  : ["simd"];
for (const variant of variants) {
  for (const n of [64, 256, 1024]) {
    cases.push({
      name: `kernel ${variant} ${n}x${n}`,
      n,
      threads: 1,
      run: rawKernel(variant, n),
    });
  }
}

for (const { name, threads, run } of cases) {
  Deno.bench(name, () => {
    setMatmulThreading({ threads });
    run();
  });
}

if (import.meta.main) {
  for (const { name, n, threads, run } of cases) {
    setMatmulThreading({ threads });
    // idle workers close themselves: have them ready before timing
    if (threads > 1) await matmulWorkersReady();
    const flops = 2 * n ** 3;
    // warm up past the baseline compiler, then time runs of >= 20 ms
    const warmEnd = performance.now() + 200;
    while (performance.now() < warmEnd) run();
    const reps = Math.max(1, Math.round(1e9 / flops));
    const times: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) run();
      times.push((performance.now() - t0) / reps);
    }
    times.sort((x, y) => x - y);
    const gflops = (ms: number) => (flops / ms / 1e6).toFixed(1).padStart(6);
    console.log(
      `${name.padEnd(28)} best ${gflops(times[0])} GFLOP/s  median ${
        gflops(times[times.length >> 1])
      } GFLOP/s`,
    );
  }
}
