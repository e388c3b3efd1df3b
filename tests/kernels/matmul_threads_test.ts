// Matmul on worker threads (src/matmul_threads.ts): results bit-identical to
// one thread's on large shapes (transposed, batched, a remainder of rows,
// after the shared memory grows), scripts still exit promptly with workers
// around, and the library works where threads are unavailable.
//
// Single-threaded correctness against a float64 reference is matmul_test.ts
// and matmul_variants_test.ts; here the single-threaded result is the
// oracle, and each threaded test checks that threads really ran.
import {
  memoryStats,
  setMemoryBudget,
  type Tensor,
  tensor,
} from "../../mod.ts";
import {
  matmulWorkersReady,
  setMatmulThreading,
  threadedMatmulCount,
} from "../../src/matmul_threads.ts";
import { kernels, maxThreads, threadsSupported } from "../../src/wasm.ts";
import { assert, assertEquals } from "../_assert.ts";

const modUrl = new URL("../../mod.ts", import.meta.url).href;
const threadsUrl = new URL("../../src/matmul_threads.ts", import.meta.url)
  .href;
const wasmUrl = new URL("../../src/wasm.ts", import.meta.url).href;

/** Deterministic values in [-1, 1), the same in this process and a child. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = ((i * 2654435761 + seed * 40503) % 1000) / 500 - 1;
  }
  return out;
}

function input(shape: number[], seed: number): Tensor {
  return tensor(values(shape.reduce((a, b) => a * b, 1), seed), { shape });
}

/** An FNV-1a hash of the float32 bits, to compare results across processes. */
function bitsHash(x: Float32Array): string {
  let h = 0x811c9dc5;
  for (const w of new Uint32Array(x.buffer, x.byteOffset, x.length)) {
    h = Math.imul(h ^ w, 0x01000193) >>> 0;
  }
  return `${x.length}:${h.toString(16)}`;
}

function assertSameBits(got: Float32Array, want: Float32Array, what: string) {
  assertEquals(got.length, want.length, `${what}: length`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    assert(
      g[i] === w[i],
      `${what}[${i}]: threaded ${got[i]} vs single-threaded ${want[i]}`,
    );
  }
}

/** `fn` on one thread, then on all of them; their results must match bit for bit. */
async function compareThreaded(
  fn: () => Tensor,
  what: string,
): Promise<void> {
  setMatmulThreading({ threads: 1 });
  const single = fn().toFloat32Array();
  setMatmulThreading({ threads: maxThreads });
  // workers close after a short idle time: make sure they are there now
  assert((await matmulWorkersReady()) > 0, "no worker started");
  const before = threadedMatmulCount();
  const threaded = fn().toFloat32Array();
  assert(threadedMatmulCount() > before, `${what}: ran on one thread`);
  assertSameBits(threaded, single, what);
}

const ignore = !threadsSupported;

Deno.test({
  name: "matmul threads: bit-identical to one thread, every layout",
  ignore,
  async fn() {
    const cases: [number, number, number][] = [
      [517, 300, 263], // rows not a multiple of the tile or of the chunks
      [13, 700, 800], // 2-3 chunks of whole tiles (4 or 6 rows), the last one longer
      [256, 1024, 300],
    ];
    for (const [m, n, k] of cases) {
      const a = input([m, k], 1), b = input([k, n], 2);
      const at = input([k, m], 3).t(), bt = input([n, k], 4).t();
      await compareThreaded(() => a.matmul(b), `${m}x${k} @ ${k}x${n}`);
      await compareThreaded(() => at.matmul(b), `${m}x${k} (t) @ ${k}x${n}`);
      await compareThreaded(() => a.matmul(bt), `${m}x${k} @ ${k}x${n} (t)`);
      await compareThreaded(
        () => at.matmul(bt),
        `${m}x${k} (t) @ ${k}x${n} (t)`,
      );
    }
    // no unit stride: the matrix dims of a permuted [k, m, 2, 3] tensor
    // have strides 6 and 6m
    const a = input([200, 130, 2, 3], 6).permute(2, 3, 1, 0);
    const b = input([170, 200, 2, 3], 7).permute(2, 3, 1, 0);
    await compareThreaded(() => a.matmul(b), "[2, 3] batch, no unit stride");
  },
});

Deno.test({
  name: "matmul threads: batched, with broadcast batch dims",
  ignore,
  async fn() {
    const a = input([3, 130, 260], 8), b = input([3, 260, 150], 9);
    await compareThreaded(() => a.matmul(b), "[3] batch 130x260x150");
    const w = input([260, 150], 10);
    await compareThreaded(() => a.matmul(w), "[3] batch @ 2-D weight");
    const bt = input([3, 150, 260], 11).transpose(1, 2);
    await compareThreaded(() => a.matmul(bt), "[3] batch @ transposed batch");
    const e = input([1, 130, 260], 12).expand([4, 130, 260]);
    await compareThreaded(() => e.matmul(w), "expanded batch @ 2-D");
  },
});

Deno.test({
  name: "matmul threads: workers see the shared memory after it grows",
  ignore,
  async fn() {
    const a = input([300, 400], 13), b = input([400, 500], 14);
    await compareThreaded(() => a.matmul(b), "before growth");
    const bytes = memoryStats().wasmBytes;
    const buffer = kernels.memory.buffer;
    const budget = memoryStats().budgetBytes;
    setMemoryBudget(Math.max(budget, bytes + (64 << 20)));
    try {
      // resident outputs until the working area has to grow
      const keep: Tensor[] = [];
      while (memoryStats().wasmBytes === bytes) {
        keep.push(input([1 << 20], 15).add(1));
      }
      assert(kernels.memory.buffer !== buffer, "a new buffer after growth");
      const c = input([300, 400], 16), d = input([400, 500], 17);
      await compareThreaded(() => c.matmul(d), "after growth");
      await compareThreaded(() => a.matmul(b), "old operands after growth");
      for (const t of keep) t.dispose();
    } finally {
      setMemoryBudget(budget);
    }
  },
});

// ---- child processes ----

interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
  /** ms from the child printing "done" to its exit */
  exitDelay: number;
}

/** Runs `source` as a script (from stdin, no permissions), timing its exit. */
async function runChild(source: string): Promise<ChildResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const stderr = new Response(child.stderr).text();
  let stdout = "", doneAt = -1;
  for await (
    const chunk of child.stdout.pipeThrough(new TextDecoderStream())
  ) {
    stdout += chunk;
    if (doneAt < 0 && stdout.includes("done\n")) doneAt = performance.now();
  }
  const { code } = await child.status;
  const exitDelay = doneAt < 0 ? Infinity : performance.now() - doneAt;
  return { code, stdout, stderr: await stderr, exitDelay };
}

function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split("\n").filter((l) => l.startsWith("{"))
    .at(-1);
  assert(line, `no result printed: ${stdout}`);
  return JSON.parse(line);
}

Deno.test({
  name: "matmul threads: a script ends within a second of a threaded matmul",
  ignore,
  async fn() {
    // ready: the product runs on the ready workers; spawning: the second
    // of two products in a row spawns a worker, and the script ends while
    // it boots; single: one product spawns nothing
    const modes = {
      ready: {
        before: "await matmulWorkersReady();",
        products: 1,
        threaded: 1,
      },
      spawning: { before: "", products: 2, threaded: 0 },
      single: { before: "", products: 1, threaded: 0 },
    };
    for (const mode of ["ready", "spawning", "single"] as const) {
      const { before, products, threaded } = modes[mode];
      const r = await runChild(`
        import { rand } from ${JSON.stringify(modUrl)};
        import {
          liveMatmulWorkers,
          matmulWorkersReady,
          threadedMatmulCount,
        } from ${JSON.stringify(threadsUrl)};
        ${before}
        const a = rand(512, 512), b = rand(512, 512);
        for (let i = 0; i < ${products}; i++) a.matmul(b).sum().item();
        console.log(JSON.stringify({
          threaded: threadedMatmulCount(),
          live: liveMatmulWorkers(),
        }));
        console.log("done");
      `);
      assertEquals(r.code, 0, r.stderr);
      const got = lastJson(r.stdout);
      assertEquals(got.threaded, threaded, `${mode}: ${r.stdout}`);
      const live = { ready: maxThreads - 1, spawning: 1, single: 0 }[mode];
      assertEquals(got.live, live, `${mode}: ${r.stdout}`);
      assert(
        r.exitDelay < 1000,
        `${mode}: exited ${r.exitDelay.toFixed(0)} ms after its last statement`,
      );
    }
  },
});

Deno.test("matmul threads: without Worker or SharedArrayBuffer, one thread and the same bits", async () => {
  const shapes = [[300, 400], [400, 500]];
  const source = (remove: string) => `
    const SAB = globalThis.SharedArrayBuffer;
    delete globalThis.${remove};
    const { tensor } = await import(${JSON.stringify(modUrl)});
    const { threadedMatmulCount } = await import(${JSON.stringify(threadsUrl)});
    const { kernels, maxThreads, threadsSupported } = await import(${
    JSON.stringify(wasmUrl)
  });
    ${values.toString()}
    ${bitsHash.toString()}
    const [sa, sb] = ${JSON.stringify(shapes)};
    const a = tensor(values(sa[0] * sa[1], 1), { shape: sa });
    const b = tensor(values(sb[0] * sb[1], 2), { shape: sb });
    const product = a.matmul(b).toFloat32Array();
    console.log(JSON.stringify({
      hash: bitsHash(product),
      threadsSupported,
      maxThreads,
      shared: typeof SAB === "function" && kernels.memory.buffer instanceof SAB,
      threaded: threadedMatmulCount(),
    }));
    console.log("done");
  `;
  const [sa, sb] = shapes;
  const expected = bitsHash(
    input(sa, 1).matmul(input(sb, 2)).toFloat32Array(),
  );
  for (const remove of ["Worker", "SharedArrayBuffer"]) {
    const r = await runChild(source(remove));
    assertEquals(r.code, 0, r.stderr);
    const got = lastJson(r.stdout);
    assertEquals(got, {
      hash: expected,
      threadsSupported: false,
      maxThreads: 1,
      shared: false,
      threaded: 0,
    }, `without ${remove}`);
  }
});
