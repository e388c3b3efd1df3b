/**
 * Unary ops over 1e6 floats, kindling against TF.js's wasm backend in the
 * same process (best of 5 batches of 20 calls each, outputs disposed), as a
 * complement to W3's binary ops. Bench-only peers, pinned, as in
 * compare_tfjs.ts:
 *
 *   deno run -A --no-lock bench/compare_unary.ts
 *
 * @module
 */
import { rand, type Tensor } from "../mod.ts";
// deno-lint-ignore no-import-prefix
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
// deno-lint-ignore no-import-prefix
import { setWasmPaths } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";

const TFJS_WASM = "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
setWasmPaths(new URL("./", import.meta.resolve(TFJS_WASM)).href);
if (!(await tf.setBackend("wasm"))) throw new Error("no TF.js wasm backend");
await tf.ready();

const N = 1_000_000;

/** Best time per call (us) of `fn`, after a warm-up. */
function best(fn: () => void): number {
  for (let i = 0; i < 20; i++) fn();
  let b = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) fn();
    b = Math.min(b, (performance.now() - t0) / 20);
  }
  return b * 1000;
}

const x: Tensor = rand(N);
const tx = tf.randomUniform([N]);
const ops: [string, (t: Tensor) => Tensor, (t: tf.Tensor) => tf.Tensor][] = [
  ["exp", (t) => t.exp(), tf.exp],
  ["log", (t) => t.log(), tf.log],
  ["sigmoid", (t) => t.sigmoid(), tf.sigmoid],
  ["tanh", (t) => t.tanh(), tf.tanh],
  ["relu", (t) => t.relu(), tf.relu],
  ["sqrt", (t) => t.sqrt(), tf.sqrt],
  ["neg", (t) => t.neg(), tf.neg],
];
console.log(
  `unary ops on ${N} floats, us per call (Deno ${Deno.version.deno})\n`,
);
console.log("| op      | kindling | TF.js wasm | kindling faster by |");
console.log("|---------|----------|------------|--------------------|");
for (const [name, ours, theirs] of ops) {
  const k = best(() => ours(x).dispose());
  const t = best(() => theirs(tx).dispose());
  console.log(
    `| ${name.padEnd(7)} | ${k.toFixed(0).padStart(8)} | ${
      t.toFixed(0).padStart(10)
    } | ${(t / k).toFixed(2).padStart(17)}x |`,
  );
}
x.dispose();
tx.dispose();
