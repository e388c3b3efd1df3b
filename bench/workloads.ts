/**
 * The workloads of the performance goals (W1-W7 and size; bench/README.md
 * lists them with the peers' figures), measured for kindling and printed as
 * one table with each goal and whether it is met.
 *
 *   deno task bench                             (all of them: the table)
 *   deno run -A bench/workloads.ts W2 W6        (only those whose id starts so)
 *   deno run -A bench/workloads.ts --budget=3000   (ms per workload, default 1500)
 *   deno bench -A bench/workloads.ts            (the same cases under Deno.bench)
 *
 * bench/compare_tfjs.ts imports the workloads and the timing loop from here
 * and runs the same workloads on TensorFlow.js in the same process.
 *
 * @module
 */
import {
  manualSeed,
  nn,
  optim,
  rand,
  randn,
  type Tensor,
  tensor,
} from "../mod.ts";
import { setMatmulThreading } from "../src/matmul_threads.ts";
import { kernelBytes, maxThreads } from "../src/wasm.ts";

/** A target from the performance goals, and how to check a figure against it. */
export interface Goal {
  /** The goal as bench/README.md states it, e.g. `>= 50`. */
  text: string;
  /** Whether `figure` meets it; `results` holds the other figures by key. */
  met(figure: number, results: ReadonlyMap<string, number>): boolean;
}

/** The timed call of a workload, and what frees its inputs afterwards. */
export interface Prepared {
  /** One call of the workload (one epoch, one matmul, one op, ...). */
  run(): void;
  /** Frees what setup made, so the next workload starts clean. */
  cleanup?(): void;
}

/** One row of the table. */
export interface Workload {
  /** Unique key, also the name under Deno.bench, e.g. `W2 matmul N=1024`. */
  key: string;
  /** The unit of `figure`'s result. */
  unit: string;
  /** Whether a larger figure is better (rates) or a smaller one (times). */
  higherIsBetter: boolean;
  /** Converts seconds per call into the reported figure. */
  figure(secondsPerCall: number): number;
  /** The goal, when one is set for this row. */
  goal?: Goal;
  /** Builds the inputs (not timed) and returns the timed call. */
  setup(): Prepared;
}

/** Goal "figure >= value". */
export function atLeast(value: number): Goal {
  return { text: `>= ${value}`, met: (f) => f >= value };
}

/** Goal "figure <= value". */
export function atMost(value: number): Goal {
  return { text: `<= ${value}`, met: (f) => f <= value };
}

/** Goal "within 10% of the figure of `key`" (for rates). */
export function within10PercentOf(key: string): Goal {
  return {
    text: `>= 0.9 x ${key}`,
    met: (f, all) => all.has(key) && f >= 0.9 * all.get(key)!,
  };
}

const gflops = (m: number, k: number, n: number) => (s: number) =>
  (2 * m * k * n) / s / 1e9;
const gbps = (bytes: number) => (s: number) => bytes / s / 1e9;
const micros = (s: number) => s * 1e6;
const nanosPer = (ops: number) => (s: number) => (s * 1e9) / ops;

/** Ops in the recorded chain of W6's "recorded + backward". */
export const CHAIN = 10;

/**
 * A matmul workload of `[m, k] x [k, n]`, either operand optionally
 * transposed; `threads` limits matmul's threads (default: as many as the
 * library uses, which is one below 2^22 multiply-adds).
 */
function matmulCase(
  key: string,
  m: number,
  k: number,
  n: number,
  transpose: "" | "a" | "b",
  goal: Goal,
  threads?: number,
): Workload {
  return {
    key,
    unit: "GFLOP/s",
    higherIsBetter: true,
    figure: gflops(m, k, n),
    goal,
    setup() {
      // a transposed operand is a t() view of a contiguous tensor, the way
      // backward sees it (X^T . dY, dY . W^T)
      const a = transpose === "a" ? rand(k, m) : rand(m, k);
      const b = transpose === "b" ? rand(n, k) : rand(k, n);
      const left = transpose === "a" ? () => a.t() : () => a;
      const right = transpose === "b" ? () => b.t() : () => b;
      if (threads !== undefined) setMatmulThreading({ threads });
      return {
        // dispose the product: see W3 for why
        run: () => left().matmul(right()).dispose(),
        cleanup: () => {
          a.dispose();
          b.dispose();
          setMatmulThreading({ threads: maxThreads });
        },
      };
    },
  };
}

/**
 * Elementwise workload: `op` writes 4 MB (1e6 floats). With `dispose` the
 * output is freed in the timed loop. Without it, each dropped output stays
 * resident in the WebAssembly working area until the allocation cursor comes
 * round again (src/storage.ts); the block is then copied out to its host
 * buffer before being reused, since nothing tells the storage that nobody
 * holds the tensor any more. That copy is part of the price of not calling
 * dispose(), so both figures are reported.
 */
function writeCase(
  key: string,
  make: () => [Tensor, Tensor],
  op: (x: Tensor, y: Tensor) => Tensor,
  dispose: boolean,
  goal?: Goal,
): Workload {
  return {
    key,
    unit: "GB/s written",
    higherIsBetter: true,
    figure: gbps(4e6),
    goal,
    setup() {
      const [x, y] = make();
      return {
        run: dispose ? () => op(x, y).dispose() : () => void op(x, y),
        cleanup: () => (x.dispose(), y.dispose()),
      };
    },
  };
}

const broadcastPair = (): [Tensor, Tensor] => [rand(1000, 1000), rand(1, 1000)];
const vectorPair = (): [Tensor, Tensor] => [rand(1_000_000), rand(1_000_000)];
const add = (x: Tensor, y: Tensor) => x.add(y);
const mul = (x: Tensor, y: Tensor) => x.mul(y);

/** The timed workloads W1-W6, in the order of the goals table. */
export const workloads: Workload[] = [
  {
    key: "W1 lecture loop, per epoch",
    unit: "us",
    higherIsBetter: false,
    figure: micros,
    goal: atMost(3),
    setup() {
      manualSeed(0);
      const x = tensor([[1], [2], [3]]);
      const y = tensor([[2], [4], [6]]);
      const model = new nn.Linear(1, 1);
      const criterion = new nn.MSELoss({ reduction: "sum" });
      const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });
      return {
        run() {
          const loss = criterion.call(model.call(x), y);
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
        },
      };
    },
  },
  matmulCase("W2 matmul N=64", 64, 64, 64, "", atLeast(50)),
  matmulCase(
    "W2 matmul N=1024, 1 thread",
    1024,
    1024,
    1024,
    "",
    atLeast(56),
    1,
  ),
  matmulCase("W2 matmul N=1024", 1024, 1024, 1024, "", atLeast(100)),
  matmulCase(
    "W2' A^T.B N=1024",
    1024,
    1024,
    1024,
    "a",
    within10PercentOf("W2 matmul N=1024"),
  ),
  matmulCase(
    "W2' A.B^T N=1024",
    1024,
    1024,
    1024,
    "b",
    within10PercentOf("W2 matmul N=1024"),
  ),
  // Linear(1024, 1024) at batch 256: forward X.W^T and its two backward
  // products; the plain X.W of the same size is the reference
  matmulCase("W2' X.W 256x1024x1024", 256, 1024, 1024, "", atLeast(56)),
  matmulCase(
    "W2' X^T.dY 1024x256x1024",
    1024,
    256,
    1024,
    "a",
    within10PercentOf("W2' X.W 256x1024x1024"),
  ),
  matmulCase(
    "W2' dY.W^T 256x1024x1024",
    256,
    1024,
    1024,
    "b",
    within10PercentOf("W2' X.W 256x1024x1024"),
  ),
  writeCase(
    "W3 broadcast add 1000x1000+1x1000",
    broadcastPair,
    add,
    true,
    atLeast(45),
  ),
  writeCase("W3 broadcast add, no dispose", broadcastPair, add, false),
  writeCase("W3 mul 1e6 x 1e6", vectorPair, mul, true, atLeast(40)),
  writeCase("W3 mul, no dispose", vectorPair, mul, false),
  {
    key: "W4 sum of 1e7",
    unit: "GB/s read",
    higherIsBetter: true,
    figure: gbps(4e7),
    goal: atLeast(35),
    setup() {
      const x = rand(10_000_000);
      return {
        run: () => x.sum().dispose(),
        cleanup: () => x.dispose(),
      };
    },
  },
  {
    key: "W4 row sums 1000x1000",
    unit: "us",
    higherIsBetter: false,
    figure: micros,
    goal: atMost(50),
    setup() {
      const x = rand(1000, 1000);
      return {
        run: () => x.sum(1).dispose(),
        cleanup: () => x.dispose(),
      };
    },
  },
  {
    key: "W5 Linear(1024,1024)+MSE+Adam, batch 256",
    unit: "steps/s",
    higherIsBetter: true,
    figure: (s) => 1 / s,
    goal: atLeast(45),
    setup() {
      manualSeed(0);
      const x = randn(256, 1024);
      const y = randn(256, 1024);
      const model = new nn.Linear(1024, 1024);
      const criterion = new nn.MSELoss();
      const optimizer = new optim.Adam(model.parameters());
      // a user's loop: nothing disposed by hand
      return {
        run() {
          const loss = criterion.call(model.call(x), y);
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
        },
        cleanup: () => (x.dispose(), y.dispose()),
      };
    },
  },
  {
    key: "W6 one-element add, no grad",
    unit: "ns/op",
    higherIsBetter: false,
    figure: nanosPer(1),
    goal: atMost(150),
    setup() {
      const a = tensor([1.5]);
      const b = tensor([2.5]);
      return { run: () => void a.add(b) };
    },
  },
  {
    key: "W6 one-element add, recorded",
    unit: "ns/op",
    higherIsBetter: false,
    figure: nanosPer(1),
    goal: atMost(400),
    setup() {
      const w = tensor([1.5], { requiresGrad: true });
      const b = tensor([2.5]);
      return { run: () => void w.add(b) };
    },
  },
  {
    key: "W6 one-element add, recorded + backward",
    unit: "ns/op",
    higherIsBetter: false,
    figure: nanosPer(CHAIN),
    goal: atMost(1000),
    setup() {
      // a chain of CHAIN recorded adds and one backward through all of
      // them: the per-op figure includes each op's backward step and a
      // CHAIN-th of the backward() call itself
      const w = tensor([1.5], { requiresGrad: true });
      const b = tensor([2.5]);
      return {
        run() {
          let t = w;
          for (let i = 0; i < CHAIN; i++) t = t.add(b);
          t.backward();
          w.grad = null;
        },
      };
    },
  },
];

/**
 * Seconds per call of `run`: warm up for a fifth of `budgetMs` (JIT, wasm
 * tier-up, the first placement of blocks), then time up to 5 batches in the
 * rest and return the median batch's time per call. A call slower than the
 * whole budget is still timed once after one warm-up call.
 */
export function secondsPerCall(run: () => void, budgetMs = 1500): number {
  const w0 = performance.now();
  let calls = 0;
  let first = 0;
  do {
    const t = performance.now();
    run();
    if (calls === 0) first = performance.now() - t;
    calls++;
  } while (performance.now() - w0 < budgetMs * 0.2);
  const warm = performance.now() - w0;
  const per = Math.max(calls > 1 ? (warm - first) / (calls - 1) : first, 1e-6);
  const timed = budgetMs * 0.8;
  const batches = Math.max(1, Math.min(5, Math.floor(timed / per)));
  const n = Math.max(1, Math.floor(timed / batches / per));
  const times: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) run();
    times.push((performance.now() - t) / n);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)] / 1000;
}

/** Runs `w` for `budgetMs` and returns its figure. */
export function measure(w: Workload, budgetMs = 1500): number {
  const prepared = w.setup();
  try {
    return w.figure(secondsPerCall(() => prepared.run(), budgetMs));
  } finally {
    prepared.cleanup?.();
  }
}

// ---- W7: start-up ----

/** Median wall time (ms) of `runs` runs of `deno run <args>`, after 2 unrecorded ones. */
export async function processMillis(
  args: string[],
  cwd: string,
  runs = 10,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...args],
      cwd,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const ms = performance.now() - t;
    if (!out.success) {
      throw new Error(
        `deno run ${args.join(" ")} failed: ${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    // the first runs fill Deno's transpile cache: not what a user sees twice
    if (i >= 2) times.push(ms);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

/**
 * Writes `source` to a fresh temporary folder (outside this repository, so
 * no config or lock file of ours applies) and returns the folder and file.
 */
export async function scratchScript(
  source: string,
): Promise<{ dir: string; file: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kindling_bench_" });
  const file = `${dir}/main.ts`;
  await Deno.writeTextFile(file, source);
  return { dir, file };
}

/** One row of W7 or size: a figure measured once, not timed per call. */
export interface Row {
  /** Row label. */
  key: string;
  /** The figure. */
  value: number;
  /** Its unit. */
  unit: string;
  /** The goal as text, or "" for a reference figure. */
  goal: string;
  /** Whether the goal is met (undefined without a goal). */
  met?: boolean;
}

/** W7: a script that imports mod.ts and does one op, and Deno alone. */
export async function startupRows(runs = 10): Promise<Row[]> {
  const mod = new URL("../mod.ts", import.meta.url).href;
  const ours = await scratchScript(
    `import { tensor } from "${mod}";\n` +
      `console.log(tensor([1, 2, 3]).add(1).toArray());\n`,
  );
  const bare = await scratchScript("console.log(1);\n");
  try {
    const kindling = await processMillis([ours.file], ours.dir, runs);
    const deno = await processMillis([bare.file], bare.dir, runs);
    return [
      {
        key: "W7 start-up: import mod.ts + one op",
        value: kindling,
        unit: "ms",
        goal: "<= 30",
        met: kindling <= 30,
      },
      { key: "W7 Deno alone", value: deno, unit: "ms", goal: "" },
      // the part that is ours, steadier than either figure on a busy machine
      {
        key: "W7 import + one op, over Deno alone",
        value: kindling - deno,
        unit: "ms",
        goal: "",
      },
    ];
  } finally {
    await Deno.remove(ours.dir, { recursive: true });
    await Deno.remove(bare.dir, { recursive: true });
  }
}

// ---- size ----

/** Size of `bytes` after gzip (what an HTTP server sends compressed). */
export async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function gzipFiles(paths: string[]): Promise<[number, number]> {
  let raw = 0;
  let gz = 0;
  for (const p of paths) {
    const bytes = await Deno.readFile(p);
    raw += bytes.length;
    gz += await gzipSize(bytes);
  }
  return [raw, gz];
}

/**
 * Raw size of `paths` and their gzip size as one stream, the way an npm
 * tarball compresses its files together (within a few hundred bytes of the
 * real .tgz: tar's headers are left out).
 */
async function gzipTogether(paths: string[]): Promise<[number, number]> {
  const parts = await Promise.all(paths.sort().map((p) => Deno.readFile(p)));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return [all.length, await gzipSize(all)];
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await filesUnder(p));
    else if (e.isFile) out.push(p);
  }
  return out;
}

interface ModuleInfo {
  kind?: string;
  local?: string;
  npmPackage?: string;
}
interface GraphInfo {
  modules: ModuleInfo[];
  npmPackages?: Record<
    string,
    { localPath?: string; dependencies?: string[] }
  >;
}

/**
 * The wasm module's size (the larger of its two builds, since one is
 * instantiated; the generated file holding both counts among the graph's
 * modules) and the gzip size of everything a URL import of mod.ts
 * downloads: each module of its graph (gzipped one by one, as a server
 * sends them) and its npm packages (as tarballs: their files compressed
 * together). Registry metadata, which a cold cache also fetches, is
 * reported on its own row.
 */
export async function sizeRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const wasm = [kernelBytes("simd"), kernelBytes("relaxed")]
    .reduce((a, b) => b.length > a.length ? b : a);
  const wasmBytes = wasm.length;
  const wasmGzip = await gzipSize(wasm);
  rows.push({
    key: "size: wasm",
    value: wasmBytes / 1000,
    unit: "KB",
    goal: "<= 64",
    met: wasmBytes <= 64000,
  });
  rows.push({
    key: "size: wasm, gzip",
    value: wasmGzip / 1000,
    unit: "KB",
    goal: "",
  });

  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../mod.ts", import.meta.url).href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `deno info failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const graph: GraphInfo = JSON.parse(new TextDecoder().decode(out.stdout));
  const local = graph.modules.filter((m) => m.kind === "esm" && m.local)
    .map((m) => m.local!);
  const [srcRaw, srcGzip] = await gzipFiles(local);
  let npmRaw = 0;
  let npmGzip = 0;
  let metaGzip = 0;
  // the npm packages the graph reaches (deno info also lists the lock
  // file's other packages, such as the wasm build's compiler)
  const reached = new Set<string>();
  const visit = (id: string) => {
    if (reached.has(id)) return;
    reached.add(id);
    for (const dep of graph.npmPackages?.[id]?.dependencies ?? []) visit(dep);
  };
  for (const m of graph.modules) if (m.npmPackage) visit(m.npmPackage);
  for (const id of reached) {
    const pkg = graph.npmPackages?.[id];
    if (!pkg?.localPath) continue;
    const [r, g] = await gzipTogether(await filesUnder(pkg.localPath));
    npmRaw += r;
    npmGzip += g;
    // Deno also fetches the package's registry metadata; its cache keeps a
    // trimmed copy beside the package folder (a lower bound of the download)
    const meta = `${pkg.localPath.replace(/\/[^/]+\/?$/, "")}/registry.json`;
    try {
      metaGzip += await gzipSize(await Deno.readFile(meta));
    } catch {
      // another cache layout: leave it out
    }
  }
  const total = srcGzip + npmGzip;
  const withMeta = total + metaGzip;
  rows.push({
    key: `size: ${local.length} modules of mod.ts's graph, gzip`,
    value: srcGzip / 1000,
    unit: "KB",
    goal: "",
  });
  rows.push({
    key: "size: the same, uncompressed",
    value: srcRaw / 1000,
    unit: "KB",
    goal: "",
  });
  rows.push({
    key: "size: npm package (its files in one gzip stream, as a tarball)",
    value: npmGzip / 1000,
    unit: `KB (${(npmRaw / 1000).toFixed(1)} raw)`,
    goal: "",
  });
  rows.push({
    key: "size: modules and npm package, gzip",
    value: total / 1000,
    unit: "KB",
    goal: "",
  });
  // A cold cache also fetches the package's registry metadata: at least the
  // trimmed copy Deno keeps (its list of versions), gzipped. The registry
  // may send more, and uncompressed (see bench/README.md).
  rows.push({
    key: "size: npm registry metadata (lower bound), gzip",
    value: metaGzip / 1000,
    unit: "KB",
    goal: "",
  });
  rows.push({
    key: "size: total a URL import downloads (lower bound), gzip",
    value: withMeta / 1000,
    unit: "KB",
    goal: "<= 120",
    met: withMeta <= 120000,
  });
  return rows;
}

// ---- output ----

/** Formats a figure with 3 significant digits (no exponent). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return x.toFixed(digits);
}

/** A Markdown table, padded so it also reads well in a terminal. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}

const yesNo = (met: boolean | undefined) =>
  met === undefined ? "" : met ? "yes" : "no";

// Under `deno bench` all cases share one process and Deno.bench has no
// set-up hook: each case builds its inputs in its first (warm-up) iteration
// and frees the previous case's then, so they do not pile up.
let current: { key: string; prepared: Prepared } | undefined;
for (const w of workloads) {
  Deno.bench(w.key, () => {
    if (current?.key !== w.key) {
      current?.prepared.cleanup?.();
      current = { key: w.key, prepared: w.setup() };
    }
    current.prepared.run();
  });
}
Deno.bench({
  name: "W7 start-up: import mod.ts + one op",
  n: 10,
  warmup: 2,
  async fn(b) {
    const mod = new URL("../mod.ts", import.meta.url).href;
    const s = await scratchScript(
      `import { tensor } from "${mod}";\n` +
        `console.log(tensor([1, 2, 3]).add(1).toArray());\n`,
    );
    b.start();
    await new Deno.Command(Deno.execPath(), {
      args: ["run", s.file],
      cwd: s.dir,
      stdout: "null",
      stderr: "null",
    }).output();
    b.end();
    await Deno.remove(s.dir, { recursive: true });
  },
});

if (import.meta.main) {
  const budgetArg = Deno.args.find((a) => a.startsWith("--budget="));
  const budget = budgetArg ? Number(budgetArg.slice(9)) : 1500;
  const only = Deno.args.filter((a) => !a.startsWith("--"));
  const pick = (key: string) =>
    only.length === 0 || only.some((o) => key.startsWith(o));

  const results = new Map<string, number>();
  for (const w of workloads) {
    if (pick(w.key)) results.set(w.key, measure(w, budget));
  }
  const rows: string[][] = workloads.filter((w) => results.has(w.key)).map(
    (w) => {
      const f = results.get(w.key)!;
      return [
        w.key,
        fmt(f),
        w.unit,
        w.goal?.text ?? "",
        yesNo(w.goal?.met(f, results)),
      ];
    },
  );
  const extra: Row[] = [];
  if (pick("W7")) extra.push(...await startupRows());
  if (pick("size")) extra.push(...await sizeRows());
  for (const r of extra) {
    rows.push([r.key, fmt(r.value), r.unit, r.goal, yesNo(r.met)]);
  }
  console.log(
    `kindling, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores; ` +
      `matmul on up to ${maxThreads} threads from 2^22 multiply-adds, all else on one\n`,
  );
  console.log(table(["workload", "kindling", "unit", "goal", "met"], rows));
}
