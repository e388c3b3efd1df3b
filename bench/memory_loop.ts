/**
 * The loops of the memory requirement, with no dispose() anywhere: prints
 * peak RSS and WASM memory as the loop runs, so flat memory is visible.
 *
 *   deno run bench/memory_loop.ts small 1000000   (1,000-element tensors)
 *   deno run bench/memory_loop.ts large 2000      (4 MiB tensors)
 *   deno run bench/memory_loop.ts train 1000000   (linear regression steps)
 *   deno run bench/memory_loop.ts small 1000000 32   (with a 32 MiB working area)
 *
 * @module
 */
import { memoryStats, rand, setMemoryBudget, tensor } from "../mod.ts";

const mode = Deno.args[0] ?? "small";
const iters = Number(Deno.args[1] ?? 100000);
const MiB = 1024 * 1024;
if (Deno.args[2]) setMemoryBudget(Number(Deno.args[2]) * MiB);

function rssMiB(): number {
  return Deno.memoryUsage().rss / MiB;
}

/** Runs the loop, sampling RSS at 10 points; returns the samples (MiB). */
export function run(mode: string, iters: number): number[] {
  const samples: number[] = [];
  const every = Math.max(1, Math.floor(iters / 10));
  let sink = 0;
  if (mode === "small") {
    const x = rand(1000);
    for (let i = 0; i < iters; i++) {
      const y = x.mul(2).add(1).relu().sum();
      if (i % every === 0) {
        sink += y.item();
        samples.push(rssMiB());
      }
    }
  } else if (mode === "large") {
    const x = rand(1024, 1024); // 4 MiB
    for (let i = 0; i < iters; i++) {
      const y = x.mul(1.0001).add(x);
      if (i % every === 0) {
        sink += y.toFloat32Array()[0];
        samples.push(rssMiB());
      }
    }
  } else if (mode === "train") {
    const xs = tensor([[1], [2], [3]]), ys = tensor([[2], [4], [6]]);
    const w = tensor([[0.5]], { requiresGrad: true });
    const b = tensor([0.1], { requiresGrad: true });
    for (let i = 0; i < iters; i++) {
      const loss = xs.matmul(w.t()).add(b).sub(ys).pow(2).sum();
      w.grad = null;
      b.grad = null;
      loss.backward();
      if (i % every === 0) {
        sink += loss.item();
        samples.push(rssMiB());
      }
    }
  } else throw new Error(`unknown mode ${mode}`);
  if (Number.isNaN(sink)) console.log("nan");
  return samples;
}

if (import.meta.main) {
  const t0 = performance.now();
  const samples = run(mode, iters);
  const secs = (performance.now() - t0) / 1000;
  const s = memoryStats();
  console.log(
    `${mode} x ${iters}: ${secs.toFixed(1)} s; RSS samples (MiB): ${
      samples.map((v) => v.toFixed(0)).join(" ")
    }; wasm ${(s.wasmBytes / MiB).toFixed(0)} MiB`,
  );
}
