/**
 * Per-op overhead on one-element tensors, where bookkeeping is everything:
 * an op without grad, a recorded op, and a recorded op plus its backward
 * step; and the lecture's full step (forward, loss, backward).
 *
 *   deno bench bench/autograd_bench.ts
 *   deno run bench/autograd_bench.ts     (prints ns per op)
 *
 * @module
 */
import { tensor } from "../mod.ts";

const a = tensor([1.5]);
const b = tensor([2.5]);
const w = tensor([1.5], { requiresGrad: true });
const xs = tensor([[1], [2], [3]]);
const ys = tensor([[2], [4], [6]]);
const lw = tensor([[0.5]], { requiresGrad: true });
const lb = tensor([0.1], { requiresGrad: true });

// A chain of 10 recorded adds and its backward: 10 ops and 10 backward steps.
function chain(): void {
  let t = w;
  for (let i = 0; i < 10; i++) t = t.add(b);
  t.backward();
  w.grad = null;
}

/** name, ops per call, the call */
export const cases: [string, number, () => void][] = [
  ["one-element add, no grad", 1, () => void a.add(b)],
  ["one-element add, recorded", 1, () => void w.add(b)],
  ["10 recorded adds + backward (per op)", 10, chain],
  ["lecture step: forward + MSE(sum) + backward", 1, () => {
    const loss = xs.matmul(lw.t()).add(lb).sub(ys).pow(2).sum();
    lw.grad = null;
    lb.grad = null;
    loss.backward();
  }],
];

for (const [name, , fn] of cases) Deno.bench(name, fn);

if (import.meta.main) {
  for (const [name, ops, fn] of cases) {
    for (let i = 0; i < 20000; i++) fn();
    const reps = 200000 / ops;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const ns = ((performance.now() - t0) * 1e6) / reps / ops;
    console.log(`${name.padEnd(46)} ${ns.toFixed(0).padStart(7)} ns`);
  }
}
