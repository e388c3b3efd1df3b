// Adam's fused step over a 1M-parameter tensor. One step reads and writes
// the parameter, reads the gradient, and reads and writes both moments:
// 7 float32 accesses = 28 bytes per parameter. The figure printed first is
// that traffic divided by the measured time per step.
import { optim, randn } from "../mod.ts";

const N = 1 << 20;
const param = randn([N], { requiresGrad: true });
param.sum().backward(); // a gradient of ones
const adam = new optim.Adam([param], { lr: 1e-3 });
adam.step(); // creates the state

const BYTES_PER_STEP = N * 4 * 7;

function measure(steps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) adam.step();
  return (performance.now() - t0) / steps;
}
measure(300); // warm up (lets the wasm tier up)
const ms = measure(1000);
console.log(
  `Adam step, ${N} parameters: ${ms.toFixed(3)} ms/step, ${
    (BYTES_PER_STEP / (ms * 1e6)).toFixed(2)
  } GB/s (param, grad, exp_avg, exp_avg_sq: ${
    BYTES_PER_STEP / 1e6
  } MB per step)`,
);

// For scale: a plain copy of the same 28 bytes per parameter (a 14 MB
// TypedArray.set reads 14 MB and writes 14 MB).
{
  const src = new Float32Array(N * 7 / 2), dst = new Float32Array(N * 7 / 2);
  for (let i = 0; i < 20; i++) dst.set(src);
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) dst.set(src);
  const copyMs = (performance.now() - t0) / 200;
  console.log(
    `memory copy of the same bytes: ${copyMs.toFixed(3)} ms, ${
      (BYTES_PER_STEP / (copyMs * 1e6)).toFixed(2)
    } GB/s`,
  );
}

Deno.bench("optim: Adam step, 1M parameters", () => {
  adam.step();
});

const sgd = new optim.SGD([param], { lr: 1e-3, momentum: 0.9 });
sgd.step();
Deno.bench("optim: SGD momentum step, 1M parameters", () => {
  sgd.step();
});
