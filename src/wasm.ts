/**
 * The kernels' wasm instance: created once, on import, from the generated
 * bytes in `_wasm/kernels.ts`. Callers use the raw exports directly; every
 * pointer is a byte offset into `memory`, and every check happens before the
 * call (see ../assembly/).
 *
 * @module
 */
// A fully pinned specifier, not an import-map name: code imported from a URL
// ignores our deno.json, so the one runtime dependency is spelled out here.
// deno-lint-ignore no-import-prefix
import { instantiateSync } from "npm:@assemblyscript/loader@0.28.20";
import { relaxedWasmBase64, simdWasmBase64 } from "./_wasm/kernels.ts";

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

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const fromBase64 = (Uint8Array as unknown as {
    fromBase64?: (s: string) => Uint8Array<ArrayBuffer>;
  }).fromBase64;
  if (fromBase64) return fromBase64(text);
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
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

/** Instantiates one build of the kernels (the library uses `kernels`). */
export function instantiateKernels(variant: KernelVariant): Kernels {
  const bytes = decodeBase64(
    variant === "relaxed" ? relaxedWasmBase64 : simdWasmBase64,
  );
  // the loader instantiates; the raw exports (not its wrappers) are what
  // every hot path calls
  return instantiateSync(new WebAssembly.Module(bytes), {}).instance
    .exports as unknown as Kernels;
}

/** The build in use: relaxed SIMD where the engine supports it. */
export const kernelVariant: KernelVariant = relaxedSimdSupported
  ? "relaxed"
  : "simd";

/** The kernels, instantiated once. */
export const kernels: Kernels = instantiateKernels(kernelVariant);
