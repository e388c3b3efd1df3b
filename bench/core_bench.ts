/**
 * Throughput of the elementwise and reduction kernels.
 *
 *   deno bench bench/core_bench.ts
 *   deno run bench/core_bench.ts     (prints GB/s)
 *
 * Bytes counted: what the op must read and write (broadcast add reads the
 * big operand and writes the output; sum reads its input).
 *
 * @module
 */
import { rand, type Tensor } from "../mod.ts";

const big = rand(1000, 1000);
const row = rand(1, 1000);
const v1 = rand(1_000_000);
const v2 = rand(1_000_000);
const huge = rand(10_000_000);

/** name, bytes moved per call, the call */
export const cases: [string, number, () => Tensor][] = [
  ["broadcast add 1000x1000 + 1x1000", 8e6, () => big.add(row)],
  ["mul of two 1e6 vectors", 12e6, () => v1.mul(v2)],
  ["sum of 1e7 floats", 4e7, () => huge.sum()],
  ["row sums of 1000x1000", 4e6, () => big.sum(1)],
  ["column sums of 1000x1000", 4e6, () => big.sum(0)],
  ["exp of 1e6", 8e6, () => v1.exp()],
];

// Outputs are disposed so that these figures are the kernels' own; without
// dispose() each dropped output is copied out of WebAssembly memory once
// when the working area wraps (see src/storage.ts), which bench/
// memory_loop.ts measures.
for (const [name, , fn] of cases) Deno.bench(name, () => fn().dispose());

if (import.meta.main) {
  for (const [name, bytes, fn] of cases) {
    for (let i = 0; i < 5; i++) fn().dispose();
    const reps = Math.max(5, Math.round(2e9 / bytes));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn().dispose();
    const us = ((performance.now() - t0) * 1000) / reps;
    console.log(
      `${name.padEnd(36)} ${us.toFixed(1).padStart(9)} us  ${
        (bytes / us / 1e3).toFixed(1).padStart(6)
      } GB/s`,
    );
  }
}
