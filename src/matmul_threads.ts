/**
 * Large matmuls split over worker threads that share the kernels' memory.
 *
 * C's rows are cut into chunks of whole register tiles; the calling thread
 * and every idle worker take chunks from a shared counter until none are
 * left, each running the same wasm `matmul` on its chunk with its own
 * packing scratch. An output element's arithmetic does not depend on which
 * rows share its chunk (see assembly/matmul.ts: the k blocking depends on k
 * only, and chunks keep >= 4 rows so that none becomes a matrix-vector
 * product), so results are bit-identical to one thread's.
 *
 * Workers never keep the process alive for long: each waits for work with a
 * timeout and closes itself after `IDLE_MS` without any. `new Worker`
 * blocks the calling thread for 20-30 ms (measured with Deno 2.9), so
 * workers are spawned only when large products come in a row (a loop), and
 * the call that spawns does not wait for them: it computes with the workers
 * that are ready (alone, at first). A new worker instantiates the module
 * only when the caller hands it its first job, while the caller waits:
 * instantiation rewrites the module's static data in the shared memory,
 * which must not happen under a running kernel.
 *
 * Synchronisation is by `Atomics` on a small SharedArrayBuffer; the caller
 * blocks in `Atomics.wait` until its helpers are done, so a matmul stays a
 * synchronous call.
 *
 * @module
 */
import { kernelModule, kernels, maxThreads } from "./wasm.ts";
import { scratchPtr, scratchStride } from "./storage.ts";

/** Below this many multiply-adds (m * n * k), one thread is faster. */
const MIN_WORK = 1 << 22;
/** A worker closes itself after this long without work. */
const IDLE_MS = 200;
/** Chunks per participating thread: spreads the work when a core is busy. */
const CHUNKS_PER_THREAD = 2;
/** Rows of the kernel's register tile; chunks are multiples of it. */
const MR = kernels.matmulTileRows();

// Worker states (one Int32 word each).
const STARTING = 0; // spawned, not yet running its message handler
const PARKED = 1; // running, module not instantiated yet
const IDLE = 2; // instantiated, waiting for work
const CLAIMED = 3; // reserved by the caller, job being written
const BUSY = 4; // has a job
const CLOSED = 5; // gone (closed itself, or failed)

// Control words: the job, then two words per worker (state, instantiated:
// 0 not yet, 1 yes, 2 failed).
const J_M = 0, J_N = 1, J_K = 2, J_A = 3, J_RSA = 4, J_CSA = 5, J_B = 6;
const J_RSB = 7, J_CSB = 8, J_C = 9, J_ACC = 10, J_SCRATCH = 11;
const J_STRIDE = 12, J_UNITS = 13, J_CHUNKS = 14, J_NEXT = 15;
const WORKER_WORDS = 16;

// Self-contained (no imports), so that it loads from a Blob URL whatever
// the URL mod.ts came from. Mirrors `runChunks` below.
const WORKER_SOURCE = `"use strict";
self.onmessage = (e) => {
  const { module, memory, control, id } = e.data;
  const s = new Int32Array(control);
  const st = ${WORKER_WORDS} + 2 * id;
  let matmul = null;
  Atomics.compareExchange(s, st, ${STARTING}, ${PARKED});
  for (;;) {
    const v = Atomics.load(s, st);
    if (v === ${BUSY}) {
      if (matmul === null) {
        try {
          matmul = new WebAssembly.Instance(module, { env: { memory } }).exports.matmul;
          Atomics.store(s, st + 1, 1);
        } catch (err) {
          Atomics.store(s, st + 1, 2);
          Atomics.store(s, st, ${CLOSED});
          Atomics.notify(s, st);
          throw err;
        } finally {
          Atomics.notify(s, st + 1);
        }
      }
      try {
        const m = s[${J_M}], n = s[${J_N}], rsa = s[${J_RSA}], units = s[${J_UNITS}];
        const chunks = s[${J_CHUNKS}];
        const scratch = s[${J_SCRATCH}] + id * s[${J_STRIDE}];
        for (let i = Atomics.add(s, ${J_NEXT}, 1); i < chunks; i = Atomics.add(s, ${J_NEXT}, 1)) {
          const r0 = ${MR} * Math.floor(i * units / chunks);
          const h = (i === chunks - 1 ? m : ${MR} * Math.floor((i + 1) * units / chunks)) - r0;
          matmul(h, n, s[${J_K}], s[${J_A}] + 4 * r0 * rsa, rsa, s[${J_CSA}], s[${J_B}],
            s[${J_RSB}], s[${J_CSB}], s[${J_C}] + 4 * r0 * n, s[${J_ACC}], scratch);
        }
        Atomics.store(s, st, ${IDLE});
      } catch (err) {
        Atomics.store(s, st, ${CLOSED});
        throw err;
      } finally {
        Atomics.notify(s, st);
      }
    } else if (v === ${CLOSED}) {
      self.close();
      return;
    } else if (
      Atomics.wait(s, st, v, ${IDLE_MS}) === "timed-out" &&
      v !== ${CLAIMED} &&
      Atomics.compareExchange(s, st, v, ${CLOSED}) === v
    ) {
      self.close();
      return;
    }
  }
};
`;

let control: Int32Array | null = null;
let workerUrl = "";
/** Whether worker w has been spawned at least once. */
const spawned: boolean[] = [];
/** Threads to use, the caller's included (tests and benches change it). */
let threadLimit = maxThreads;
/** Set when a worker fails: threads stay off for good. */
let broken = false;
let minWork = MIN_WORK;
let threadedCalls = 0;
/** When the last product large enough for threads started. */
let lastLargeAt = -Infinity;

function controlWords(): Int32Array {
  return control ??= new Int32Array(
    new SharedArrayBuffer(4 * (WORKER_WORDS + 2 * maxThreads)),
  );
}

/**
 * C = A . B as `kernels.matmul` computes it (same arguments but the
 * scratch), on several threads when the product is large and workers are
 * ready; bit-identical either way.
 */
export function matmulParallel(
  m: number,
  n: number,
  k: number,
  a: number,
  rsa: number,
  csa: number,
  b: number,
  rsb: number,
  csb: number,
  c: number,
  acc: number,
): void {
  // kept whole: n <= 3 may run as matrix-vector products (whose arithmetic
  // depends on the rows per call), and under 2 * MR rows make no two
  // chunks of whole tiles
  if (
    threadLimit < 2 || broken || m * n * k < minWork || m < 2 * MR ||
    n <= 3 ||
    !runThreaded(m, n, k, a, rsa, csa, b, rsb, csb, c, acc)
  ) {
    kernels.matmul(m, n, k, a, rsa, csa, b, rsb, csb, c, acc, scratchPtr);
  }
}

function runThreaded(
  m: number,
  n: number,
  k: number,
  a: number,
  rsa: number,
  csa: number,
  b: number,
  rsb: number,
  csb: number,
  c: number,
  acc: number,
): boolean {
  const s = controlWords();
  // Claim idle workers. Missing ones are (re)spawned for later calls, one
  // per call and only when large products come in a row: `new Worker`
  // blocks this thread for 20-30 ms, more than one product of this size
  // gains.
  const now = performance.now();
  let inARow = now - lastLargeAt < IDLE_MS;
  lastLargeAt = now;
  const helpers: number[] = [];
  let fresh = 0; // bit w: worker w instantiates on this job
  for (let w = 1; w < threadLimit; w++) {
    const st = WORKER_WORDS + 2 * w;
    if (Atomics.compareExchange(s, st, IDLE, CLAIMED) === IDLE) {
      helpers.push(w);
    } else if (Atomics.compareExchange(s, st, PARKED, CLAIMED) === PARKED) {
      helpers.push(w);
      fresh |= 1 << w;
    } else if (inARow && (Atomics.load(s, st) === CLOSED || !spawned[w])) {
      spawn(w);
      inARow = false;
    }
  }
  if (helpers.length === 0) return false;
  threadedCalls++;
  const threads = helpers.length + 1;
  // chunks of whole tiles, as equal as they can be (the last also takes
  // the rows past the last whole tile): one chunk twice as long as the
  // others kept a thread busy alone for a third of the time
  const units = Math.floor(m / MR);
  const chunks = Math.min(threads * CHUNKS_PER_THREAD, units);
  s[J_M] = m;
  s[J_N] = n;
  s[J_K] = k;
  s[J_A] = a;
  s[J_RSA] = rsa;
  s[J_CSA] = csa;
  s[J_B] = b;
  s[J_RSB] = rsb;
  s[J_CSB] = csb;
  s[J_C] = c;
  s[J_ACC] = acc;
  s[J_SCRATCH] = scratchPtr;
  s[J_STRIDE] = scratchStride;
  s[J_UNITS] = units;
  s[J_CHUNKS] = chunks;
  Atomics.store(s, J_NEXT, 0);
  for (const w of helpers) {
    const st = WORKER_WORDS + 2 * w;
    Atomics.store(s, st, BUSY);
    Atomics.notify(s, st);
  }
  // A fresh worker writes the module's static data as it instantiates
  // (matmul uses none, other kernels do): let it finish before this thread
  // runs anything. One that fails takes no chunk (the others cover them).
  for (const w of helpers) {
    if (!(fresh & (1 << w))) continue;
    const inst = WORKER_WORDS + 2 * w + 1;
    while (Atomics.load(s, inst) === 0) Atomics.wait(s, inst, 0);
    if (Atomics.load(s, inst) !== 1) broken = true;
  }
  runChunks(s, m, n, k, a, rsa, csa, b, rsb, csb, c, acc, units, chunks);
  let failed = false;
  for (const w of helpers) {
    const st = WORKER_WORDS + 2 * w;
    while (Atomics.load(s, st) === BUSY) Atomics.wait(s, st, BUSY);
    if (Atomics.load(s, st) === CLOSED && s[st + 1] === 1) failed = true;
  }
  if (failed) {
    // only a kernel that traps could get here, and would trap alone too
    broken = true;
    throw new Error("A matmul worker thread failed");
  }
  return true;
}

/** The caller's share: the worker source's loop, with scratch region 0. */
function runChunks(
  s: Int32Array,
  m: number,
  n: number,
  k: number,
  a: number,
  rsa: number,
  csa: number,
  b: number,
  rsb: number,
  csb: number,
  c: number,
  acc: number,
  units: number,
  chunks: number,
): void {
  for (
    let i = Atomics.add(s, J_NEXT, 1);
    i < chunks;
    i = Atomics.add(s, J_NEXT, 1)
  ) {
    const r0 = MR * Math.floor(i * units / chunks);
    const h =
      (i === chunks - 1 ? m : MR * Math.floor((i + 1) * units / chunks)) - r0;
    kernels.matmul(
      h,
      n,
      k,
      a + 4 * r0 * rsa,
      rsa,
      csa,
      b,
      rsb,
      csb,
      c + 4 * r0 * n,
      acc,
      scratchPtr,
    );
  }
}

function spawn(w: number): void {
  const s = controlWords();
  const st = WORKER_WORDS + 2 * w;
  Atomics.store(s, st, STARTING);
  Atomics.store(s, st + 1, 0);
  spawned[w] = true;
  const fail = (why: unknown) => {
    broken = true;
    Atomics.store(s, st, CLOSED);
    console.error(
      `kindling: a matmul worker failed (${why}); one thread from now on`,
    );
  };
  try {
    workerUrl ||= URL.createObjectURL(
      new Blob([WORKER_SOURCE], { type: "text/javascript" }),
    );
    const worker = new Worker(workerUrl, { type: "module" });
    worker.onerror = (e) => {
      // reported here instead of ending the process
      e.preventDefault();
      fail(e.message);
    };
    worker.postMessage({
      module: kernelModule,
      memory: kernels.memory,
      control: s.buffer,
      id: w,
    });
  } catch (e) {
    fail(e);
  }
}

/**
 * Internal switches for tests and benchmarks: `threads` caps the threads a
 * matmul may use (1: single-threaded; at most `maxThreads`), `minWork` is
 * the m * n * k below which it stays on one thread.
 */
export function setMatmulThreading(
  options: { threads?: number; minWork?: number },
): void {
  if (options.threads !== undefined) {
    threadLimit = Math.max(1, Math.min(maxThreads, options.threads));
  }
  if (options.minWork !== undefined) minWork = options.minWork;
}

/** How many workers exist now, starting or ready (for tests). */
export function liveMatmulWorkers(): number {
  let live = 0;
  for (let w = 1; w < maxThreads; w++) {
    if (spawned[w] && Atomics.load(control!, WORKER_WORDS + 2 * w) !== CLOSED) {
      live++;
    }
  }
  return live;
}

/** How many matmuls have run on more than one thread (for tests). */
export function threadedMatmulCount(): number {
  return threadedCalls;
}

/**
 * Spawns the workers a threaded matmul would use and resolves, with their
 * count, once all are ready to take work (for tests and benchmarks: a
 * matmul does not wait for workers to start).
 */
export async function matmulWorkersReady(): Promise<number> {
  if (threadLimit < 2 || broken) return 0;
  const s = controlWords();
  for (let w = 1; w < threadLimit; w++) {
    if (Atomics.load(s, WORKER_WORDS + 2 * w) === CLOSED || !spawned[w]) {
      spawn(w);
    }
  }
  for (const end = Date.now() + 10_000;;) {
    let ready = 0, starting = 0;
    for (let w = 1; w < threadLimit; w++) {
      const v = Atomics.load(s, WORKER_WORDS + 2 * w);
      if (v === PARKED || v === IDLE) ready++;
      else if (v === STARTING) starting++;
    }
    if (starting === 0 || broken || Date.now() > end) return ready;
    await new Promise((r) => setTimeout(r, 5));
  }
}
