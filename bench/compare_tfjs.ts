/**
 * kindling against TensorFlow.js 4.22 on its WebAssembly backend (XNNPACK,
 * SIMD), the same workloads (bench/workloads.ts) in the same process, so the
 * ratios hold even when the machine's speed drifts.
 *
 *   deno run -A --no-lock bench/compare_tfjs.ts            (all of them)
 *   deno run -A --no-lock bench/compare_tfjs.ts W2 W6      (ids starting so)
 *   deno run -A --no-lock bench/compare_tfjs.ts --budget=3000 --rounds=3
 *
 * `--no-lock` keeps these bench-only npm packages out of the project's lock
 * file; nothing reachable from mod.ts imports them.
 *
 * Each workload runs `rounds` times (default 2), alternating kindling and
 * TF.js, and each library keeps its best round. TF.js runs single-threaded
 * here: its threaded build needs a cross-origin-isolated browser page.
 *
 * @module
 */
// Pinned inline rather than in deno.json's imports: bench-only packages stay
// out of the project's configuration. The union package, not tfjs-core alone:
// tfjs-core's Node bundle registers no gradient functions, and its ES module
// build cannot load in Deno (extensionless relative imports). The backend's
// copy of tfjs-core and this one share TF.js's global engine and registries.
// deno-lint-ignore no-import-prefix
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
// deno-lint-ignore no-import-prefix
import { setWasmPaths } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
import {
  CHAIN,
  fmt,
  measure,
  processMillis,
  type Row,
  scratchScript,
  secondsPerCall,
  sizeRows,
  startupRows,
  table,
  type Workload,
  workloads,
} from "./workloads.ts";

const TFJS_CORE = "npm:@tensorflow/tfjs-core@4.22.0";
const TFJS_WASM = "npm:@tensorflow/tfjs-backend-wasm@4.22.0";

/** The backend's dist folder, where its .wasm files are (in Deno's npm cache). */
const wasmDir = new URL("./", import.meta.resolve(TFJS_WASM)).href;

/** A prepared TF.js workload: the timed call and what frees its tensors. */
interface TfPrepared {
  run(): void;
  cleanup(): void;
}

const disposeAll = (...ts: tf.Tensor[]) => () => ts.forEach((t) => t.dispose());

/** `[m, k] x [k, n]` with tf.matMul's transpose flags (as its gradients use). */
function tfMatmul(
  m: number,
  k: number,
  n: number,
  transpose: "" | "a" | "b",
): () => TfPrepared {
  return () => {
    const a = tf.randomUniform(transpose === "a" ? [k, m] : [m, k]);
    const b = tf.randomUniform(transpose === "b" ? [n, k] : [k, n]);
    const ta = transpose === "a";
    const tb = transpose === "b";
    return {
      run: () => tf.matMul(a, b, ta, tb).dispose(),
      cleanup: disposeAll(a, b),
    };
  };
}

function tfBinary(
  shapes: [number[], number[]],
  op: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor,
): () => TfPrepared {
  return () => {
    const x = tf.randomUniform(shapes[0]);
    const y = tf.randomUniform(shapes[1]);
    return { run: () => op(x, y).dispose(), cleanup: disposeAll(x, y) };
  };
}

/**
 * The TF.js side, by workload key. Layers are raw variables and tf ops (what
 * tf.layers.dense computes, without the layers package's bookkeeping);
 * training steps are `optimizer.minimize`, which computes the gradients,
 * applies them and disposes its intermediates.
 */
const tfjs: Record<string, () => TfPrepared> = {
  "W1 lecture loop, per epoch": () => {
    const x = tf.tensor2d([[1], [2], [3]]);
    const y = tf.tensor2d([[2], [4], [6]]);
    const w = tf.variable(tf.randomUniform([1, 1], -1, 1));
    const b = tf.variable(tf.randomUniform([1], -1, 1));
    const optimizer = tf.train.sgd(0.01);
    return {
      run() {
        optimizer.minimize(() =>
          tf.sum(
            tf.squaredDifference(tf.add(tf.matMul(x, w, false, true), b), y),
          )
        );
      },
      cleanup: () => (disposeAll(x, y, w, b)(), optimizer.dispose()),
    };
  },
  "W2 matmul N=64": tfMatmul(64, 64, 64, ""),
  "W2 matmul N=1024, 1 thread": tfMatmul(1024, 1024, 1024, ""),
  "W2 matmul N=1024": tfMatmul(1024, 1024, 1024, ""),
  "W2' A^T.B N=1024": tfMatmul(1024, 1024, 1024, "a"),
  "W2' A.B^T N=1024": tfMatmul(1024, 1024, 1024, "b"),
  "W2' X.W 256x1024x1024": tfMatmul(256, 1024, 1024, ""),
  "W2' X^T.dY 1024x256x1024": tfMatmul(1024, 256, 1024, "a"),
  "W2' dY.W^T 256x1024x1024": tfMatmul(256, 1024, 1024, "b"),
  "W3 broadcast add 1000x1000+1x1000": tfBinary(
    [[1000, 1000], [1, 1000]],
    tf.add,
  ),
  "W3 mul 1e6 x 1e6": tfBinary([[1_000_000], [1_000_000]], tf.mul),
  "W4 sum of 1e7": () => {
    const x = tf.randomUniform([10_000_000]);
    return { run: () => tf.sum(x).dispose(), cleanup: disposeAll(x) };
  },
  "W4 row sums 1000x1000": () => {
    const x = tf.randomUniform([1000, 1000]);
    return { run: () => tf.sum(x, 1).dispose(), cleanup: disposeAll(x) };
  },
  "W5 Linear(1024,1024)+MSE+Adam, batch 256": () => {
    const x = tf.randomNormal([256, 1024]);
    const y = tf.randomNormal([256, 1024]);
    const bound = 1 / Math.sqrt(1024);
    // tf.layers.dense's layout: kernel [in, out], y = x . kernel + bias
    const w = tf.variable(tf.randomUniform([1024, 1024], -bound, bound));
    const b = tf.variable(tf.randomUniform([1024], -bound, bound));
    const optimizer = tf.train.adam(1e-3);
    return {
      run() {
        optimizer.minimize(() =>
          tf.mean(tf.squaredDifference(tf.add(tf.matMul(x, w), b), y))
        );
      },
      cleanup: () => (disposeAll(x, y, w, b)(), optimizer.dispose()),
    };
  },
  "W6 one-element add, no grad": () => {
    const a = tf.scalar(1.5);
    const b = tf.scalar(2.5);
    return { run: () => tf.add(a, b).dispose(), cleanup: disposeAll(a, b) };
  },
  // TF.js records nothing outside a gradient function, so "recorded" alone
  // has no counterpart; tf.grad over the same chain of CHAIN adds does
  "W6 one-element add, recorded + backward": () => {
    const w = tf.scalar(1.5);
    const b = tf.scalar(2.5);
    const grad = tf.grad((t: tf.Tensor) => {
      for (let i = 0; i < CHAIN; i++) t = tf.add(t, b);
      return t;
    });
    return { run: () => grad(w).dispose(), cleanup: disposeAll(w, b) };
  },
};

/** Runs one TF.js workload; throws if a call leaves tensors behind. */
function measureTf(w: Workload, budgetMs: number): number {
  const prepared = tfjs[w.key]();
  try {
    // one call first: Adam creates its moment variables on the first step
    prepared.run();
    const before = tf.memory().numTensors;
    const s = secondsPerCall(() => prepared.run(), budgetMs);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) {
      throw new Error(`${w.key}: TF.js leaked ${leaked} tensors`);
    }
    return w.figure(s);
  } finally {
    prepared.cleanup();
  }
}

/**
 * W7 for TF.js: import tfjs-core (enough for one op; the union package loads
 * much more) and the wasm backend, start it, one op.
 */
async function tfStartupMillis(runs: number): Promise<number> {
  const s = await scratchScript(
    `import * as tf from "${TFJS_CORE}";\n` +
      `import { setWasmPaths } from "${TFJS_WASM}";\n` +
      `setWasmPaths(${JSON.stringify(wasmDir)});\n` +
      `await tf.setBackend("wasm");\n` +
      `console.log(tf.add(tf.tensor([1, 2, 3]), 1).dataSync());\n`,
  );
  try {
    return await processMillis(["-A", s.file], s.dir, runs);
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
}

/** Sizes of the backend's .wasm builds, raw. */
async function tfWasmSizes(): Promise<string> {
  const dir = new URL(wasmDir);
  const parts: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".wasm")) {
      const { size } = await Deno.stat(new URL(e.name, dir));
      parts.push(`${e.name} ${(size / 1000).toFixed(0)} KB`);
    }
  }
  return parts.sort().join(", ");
}

if (import.meta.main) {
  const arg = (name: string, dflt: number) => {
    const a = Deno.args.find((x) => x.startsWith(`--${name}=`));
    return a ? Number(a.slice(name.length + 3)) : dflt;
  };
  const budget = arg("budget", 1500);
  const rounds = arg("rounds", 2);
  const only = Deno.args.filter((a) => !a.startsWith("--"));
  const pick = (key: string) =>
    only.length === 0 || only.some((o) => key.startsWith(o));

  setWasmPaths(wasmDir);
  if (!(await tf.setBackend("wasm"))) {
    throw new Error("TF.js: the wasm backend did not initialize");
  }
  await tf.ready();
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  console.log(
    `kindling vs TF.js ${tf.version_core} (backend ${tf.getBackend()}, ` +
      `simd ${simd}, threads ${threads}), Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores; best of ${rounds} rounds\n`,
  );

  const ours = new Map<string, number>();
  const theirs = new Map<string, number>();
  const better = (w: Workload, a: number | undefined, b: number) =>
    a === undefined ? b : w.higherIsBetter ? Math.max(a, b) : Math.min(a, b);
  const chosen = workloads.filter((w) => pick(w.key));
  for (const w of chosen) {
    for (let r = 0; r < rounds; r++) {
      ours.set(w.key, better(w, ours.get(w.key), measure(w, budget)));
      if (tfjs[w.key]) {
        theirs.set(
          w.key,
          better(w, theirs.get(w.key), measureTf(w, budget)),
        );
      }
    }
  }

  const rows = chosen.map((w) => {
    const k = ours.get(w.key)!;
    const t = theirs.get(w.key);
    // > 1 means kindling is faster
    const speedup = t === undefined
      ? undefined
      : w.higherIsBetter
      ? k / t
      : t / k;
    return [
      w.key,
      fmt(k),
      t === undefined ? "—" : fmt(t),
      w.unit,
      speedup === undefined ? "—" : `${fmt(speedup)}x`,
      w.goal?.text ?? "",
    ];
  });

  const runs = 10;
  const extra: Row[] = [];
  if (pick("W7")) {
    const [kindling, ...reference] = await startupRows(runs);
    const t = await tfStartupMillis(runs);
    rows.push([
      kindling.key,
      fmt(kindling.value),
      fmt(t),
      "ms",
      `${fmt(t / kindling.value)}x`,
      kindling.goal,
    ]);
    extra.push(...reference);
  }
  if (pick("size")) extra.push(...await sizeRows());
  for (const r of extra) {
    rows.push([r.key, fmt(r.value), "", r.unit, "", r.goal]);
  }
  console.log(
    table(
      [
        "workload",
        "kindling",
        "TF.js wasm",
        "unit",
        "kindling faster by",
        "goal",
      ],
      rows,
    ),
  );
  if (pick("size")) console.log(`\nTF.js wasm builds: ${await tfWasmSizes()}`);
}
