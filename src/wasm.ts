/**
 * The kernels' wasm instance: created once, on import, from the generated
 * bytes in `_wasm/kernels.ts`. Callers use the raw exports directly; every
 * pointer is a byte offset into `memory`, and every check happens before the
 * call (see ../assembly/).
 *
 * The module imports its memory: a shared one where matmul can use worker
 * threads (see matmul_threads.ts), a plain one elsewhere, from the same
 * bytes.
 *
 * @module
 */
// A fully pinned specifier, not an import-map name: code imported from a URL
// ignores our deno.json, so the one runtime dependency is spelled out here.
// deno-lint-ignore no-import-prefix
import { instantiateSync } from "npm:@assemblyscript/loader@0.28.20";
import {
  memoryFlagOffsets,
  wasmPackedHex,
  wasmSizes,
} from "./_wasm/kernels.ts";

/** The raw kernel exports; see the matching files in ../assembly/. */
export interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  fill(o: number, n: number, v: number): void;
  binary(
    op: number,
    ndim: number,
    desc: number,
    a: number,
    b: number,
    o: number,
    p: number,
  ): void;
  unary(
    op: number,
    ndim: number,
    desc: number,
    a: number,
    o: number,
    p: number,
    q: number,
  ): void;
  reduce(
    op: number,
    outer: number,
    r: number,
    inner: number,
    a: number,
    o: number,
    oi: number,
  ): void;
  matmulScratchBytes(): number;
  matmulTileRows(): number;
  matmul(
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
    scratch: number,
  ): void;
  // optimizer updates (assembly/optim.ts)
  sgdStep(
    p: number,
    g: number,
    buf: number,
    n: number,
    negLr: number,
    momentum: number,
    dampAlpha: number,
    wd: number,
    flags: number,
  ): void;
  adamStep(
    p: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    n: number,
    negStep: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    bc2Sqrt: number,
    eps: number,
    wd: number,
    decay: number,
    flags: number,
  ): void;
  adagradStep(
    p: number,
    g: number,
    sum: number,
    n: number,
    negClr: number,
    eps: number,
    wd: number,
    flags: number,
  ): void;
  rmspropStep(
    p: number,
    g: number,
    sq: number,
    gavg: number,
    buf: number,
    n: number,
    negLr: number,
    alpha: number,
    oneMinusAlpha: number,
    eps: number,
    momentum: number,
    wd: number,
    flags: number,
  ): void;
  adamaxStep(
    p: number,
    g: number,
    m: number,
    u: number,
    n: number,
    negClr: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    eps: number,
    wd: number,
    flags: number,
  ): void;
  asgdStep(
    p: number,
    g: number,
    ax: number,
    n: number,
    decay: number,
    negEta: number,
    mu: number,
    wd: number,
    flags: number,
  ): void;
  rpropStep(
    p: number,
    g: number,
    prev: number,
    size: number,
    n: number,
    etaMinus: number,
    etaPlus: number,
    lo: number,
    hi: number,
    flags: number,
  ): void;
}

/** Binary op codes (assembly/elementwise.ts). */
export const BinaryOp = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  gt: 7,
  eq: 8,
  maskPositive: 9,
  select: 10,
} as const;

/** Unary op codes (assembly/elementwise.ts). */
export const UnaryOp = {
  copy: 0,
  neg: 1,
  abs: 2,
  sqrt: 3,
  relu: 4,
  addScalar: 5,
  mulScalar: 6,
  rsubScalar: 7,
  divScalar: 8,
  rdivScalar: 9,
  clamp: 10,
  sign: 11,
  affine: 12,
  exp: 13,
  log: 14,
  sigmoid: 15,
  tanh: 16,
  powScalar: 17,
  rpowScalar: 18,
  inRange: 19,
} as const;

/** Reduction op codes (assembly/reduce.ts). */
export const ReduceOp = { sum: 0, max: 1, min: 2 } as const;

/**
 * Bytes from hex text: natively where the engine has `Uint8Array.fromHex`,
 * else one pair of digits at a time.
 */
export function decodeHex(text: string): Uint8Array<ArrayBuffer> {
  const fromHex = (Uint8Array as unknown as {
    fromHex?: (s: string) => Uint8Array<ArrayBuffer>;
  }).fromHex;
  if (fromHex) return fromHex(text);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new SyntaxError("not hex");
  // "0"-"9" are 0x30-0x39, "a"-"f" 0x61-0x66, "A"-"F" 0x41-0x46
  const digit = (i: number) => {
    const c = text.charCodeAt(i);
    return (c & 0xf) + (c >> 6) * 9;
  };
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = digit(2 * i) << 4 | digit(2 * i + 1);
  }
  return out;
}

// (func (param v128 v128 v128) (result v128) f32x4.relaxed_madd): valid
// exactly where the engine implements relaxed SIMD.
const RELAXED_PROBE = new Uint8Array([
  0,
  0x61,
  0x73,
  0x6d,
  1,
  0,
  0,
  0, // header
  1,
  8,
  1,
  0x60,
  3,
  0x7b,
  0x7b,
  0x7b,
  1,
  0x7b, // type (v128 x3) -> v128
  3,
  2,
  1,
  0, // one function of that type
  0x0a,
  0x0d,
  1,
  0x0b,
  0,
  0x20,
  0,
  0x20,
  1,
  0x20,
  2,
  0xfd,
  0x85,
  0x02,
  0x0b,
]);

/** Whether this engine runs relaxed SIMD (fused multiply-add). */
export const relaxedSimdSupported: boolean = WebAssembly.validate(
  RELAXED_PROBE,
);

/** The two builds of the kernels. */
export type KernelVariant = "simd" | "relaxed";

// Memory limits, as declared by the modules' memory import (asconfig.json).
const INITIAL_PAGES = 16;
const MAXIMUM_PAGES = 65536;
/** At most this many threads: each has a packing scratch (storage.ts). */
const MAX_THREADS = 8;

/**
 * Undoes scripts/build_wasm.ts's `lzPack`: runs of literal bytes and copies
 * of earlier output, alternately, numbers as LEB128. Throws unless `packed`
 * unpacks to exactly `size` bytes.
 */
export function lzUnpack(
  packed: Uint8Array,
  size: number,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const corrupt = () => new Error(`not packed data of ${size} bytes`);
  let i = 0, o = 0;
  const number = () => {
    let v = 0;
    for (let scale = 1;; scale *= 0x80) {
      if (i >= packed.length) throw corrupt();
      const b = packed[i++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
    }
  };
  for (;;) {
    const run = number();
    if (i + run > packed.length || o + run > size) throw corrupt();
    out.set(packed.subarray(i, i + run), o);
    i += run;
    o += run;
    if (i === packed.length) break;
    const length = number(), from = o - number();
    if (from < 0 || from >= o || o + length > size) throw corrupt();
    // a copy overlapping its source repeats it: copied in pieces that do
    // not overlap, each twice the last
    for (let k = 0; k < length;) {
      const n = Math.min(length - k, o + k - from);
      out.copyWithin(o + k, from, from + n);
      k += n;
    }
    o += length;
  }
  if (o !== size) throw corrupt();
  return out;
}

/** The two builds, one after the other. */
const builds = lzUnpack(
  decodeHex(wasmPackedHex),
  wasmSizes.simd + wasmSizes.relaxed,
);

/** The bytes of one build (a new copy), before the memory flag is set. */
export function kernelBytes(variant: KernelVariant): Uint8Array<ArrayBuffer> {
  return variant === "simd"
    ? builds.slice(0, wasmSizes.simd)
    : builds.slice(wasmSizes.simd);
}

/**
 * Compiles one build. The builds import a shared memory (so that worker
 * threads can run kernels on it); with `shared` false, the import's limits
 * flag is rewritten to plain (0x03 -> 0x01, offset recorded by the build),
 * for hosts without SharedArrayBuffer: one build serves both cases.
 */
export function compileKernels(
  variant: KernelVariant,
  shared: boolean,
): WebAssembly.Module {
  const bytes = kernelBytes(variant);
  if (!shared) bytes[memoryFlagOffsets[variant]] = 0x01;
  return new WebAssembly.Module(bytes);
}

/** A new memory for the kernels, shared between threads or not. */
export function createKernelMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({
    initial: INITIAL_PAGES,
    maximum: MAXIMUM_PAGES,
    shared,
  });
}

/**
 * Instantiates one build of the kernels on its own new memory (the library
 * uses `kernels`; this is for tests and benchmarks).
 */
export function instantiateKernels(
  variant: KernelVariant,
  shared = false,
): Kernels {
  return instantiateOn(
    compileKernels(variant, shared),
    createKernelMemory(shared),
  );
}

function instantiateOn(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): Kernels {
  // the loader instantiates; the raw exports (not its wrappers) are what
  // every hot path calls
  return instantiateSync(module, { env: { memory } }).instance
    .exports as unknown as Kernels;
}

/** The build in use: relaxed SIMD where the engine supports it. */
export const kernelVariant: KernelVariant = relaxedSimdSupported
  ? "relaxed"
  : "simd";

/** A shared memory where worker threads are possible, else null. */
function sharedMemoryOrNull(): WebAssembly.Memory | null {
  if (
    typeof Worker !== "function" ||
    typeof SharedArrayBuffer !== "function" ||
    (globalThis.navigator?.hardwareConcurrency ?? 1) < 2
  ) return null;
  try {
    // the caller blocks in Atomics.wait while workers run (a browser's main
    // thread may not), and a shared memory reserves its maximum up front (a
    // host may refuse)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return createKernelMemory(true);
  } catch {
    return null;
  }
}

const sharedMemory = sharedMemoryOrNull();

/**
 * Whether this host can run matmul on worker threads: it has `Worker`,
 * `SharedArrayBuffer` and more than one core (edge hosts lack the first
 * two; they get a plain memory and one thread).
 */
export const threadsSupported: boolean = sharedMemory !== null;

/** How many threads (the caller's included) matmul may use; 1 if unsupported. */
export const maxThreads: number = threadsSupported
  ? Math.min(MAX_THREADS, navigator.hardwareConcurrency)
  : 1;

/** The compiled module of the build in use (workers instantiate it too). */
export const kernelModule: WebAssembly.Module = compileKernels(
  kernelVariant,
  threadsSupported,
);

/** The kernels, instantiated once. */
export const kernels: Kernels = instantiateOn(
  kernelModule,
  sharedMemory ?? createKernelMemory(false),
);
