// The generated kernels module (src/_wasm/kernels.ts) as src/wasm.ts loads
// it: both builds unpack to valid wasm of the recorded sizes, the recorded
// memory flag offsets point into the unpacked bytes, unpacking undoes the
// build script's packing on data of every kind and rejects what is not
// packed data, the hex fallback for engines without `Uint8Array.fromHex`
// agrees with the native decoder, and the committed file is exactly what
// the build writes for these bytes.
import { lzPack, memoryFlagOffset, render } from "../scripts/build_wasm.ts";
import {
  memoryFlagOffsets,
  sourceHash,
  wasmPackedHex,
  wasmSizes,
} from "../src/_wasm/kernels.ts";
import {
  compileKernels,
  decodeHex,
  instantiateKernels,
  kernelBytes,
  type KernelVariant,
  lzUnpack,
  relaxedSimdSupported,
} from "../src/wasm.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { seededRandom } from "./support/random.ts";

const VARIANTS: KernelVariant[] = ["simd", "relaxed"];
const random = seededRandom(0x510e527f);

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

Deno.test("wasm: both builds unpack to valid modules of the recorded sizes", () => {
  for (const variant of VARIANTS) {
    const bytes = kernelBytes(variant);
    assertEquals(bytes.length, wasmSizes[variant], `${variant} size`);
    // "\0asm", version 1
    assertEquals([...bytes.subarray(0, 8)], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    // the relaxed build validates only where the engine has relaxed SIMD
    if (variant === "simd" || relaxedSimdSupported) {
      assert(WebAssembly.validate(bytes), `${variant} does not validate`);
    }
  }
  // a new copy each call: compileKernels rewrites a byte of it
  const a = kernelBytes("simd");
  a[0] = 1;
  assertEquals(kernelBytes("simd")[0], 0);
});

Deno.test("wasm: the memory flag offsets point into the unpacked bytes", () => {
  for (const variant of VARIANTS) {
    const bytes = kernelBytes(variant);
    assertEquals(memoryFlagOffset(bytes), memoryFlagOffsets[variant]);
    assertEquals(bytes[memoryFlagOffsets[variant]], 0x03, variant);
    if (variant === "relaxed" && !relaxedSimdSupported) continue;
    // rewritten to plain, the module instantiates on a plain memory
    const module = compileKernels(variant, false);
    const memory = WebAssembly.Module.imports(module).find((i) =>
      i.kind === "memory"
    );
    assertEquals(memory?.name, "memory");
    const k = instantiateKernels(variant, false);
    assert(!(k.memory.buffer instanceof SharedArrayBuffer), variant);
    assert(k.heapBase() > 0, variant);
  }
});

Deno.test("wasm: unpacking undoes the build's packing", () => {
  const roundTrip = (data: Uint8Array, what: string) => {
    const packed = lzPack(data);
    assertEquals([...lzUnpack(packed, data.length)], [...data], what);
    return packed.length;
  };
  roundTrip(new Uint8Array(0), "empty");
  roundTrip(randomBytes(1), "one byte");
  roundTrip(randomBytes(47), "shorter than any copy");
  // incompressible: one literal run
  assert(roundTrip(randomBytes(5000), "random") > 5000);
  // a run of one byte: a copy overlapping its source (distance 1)
  const zeros = new Uint8Array(10000);
  zeros[0] = 7;
  assert(roundTrip(zeros, "zeros") < 100);
  // a period of 5 bytes, then a far repeat after random bytes, then a
  // repeat that runs to the end
  const a = randomBytes(300), b = randomBytes(70000);
  const mixed = new Uint8Array([
    ...Array.from({ length: 1000 }, (_, i) => i % 5),
    ...a,
    ...b,
    ...a,
    ...b.subarray(0, 999),
  ]);
  assert(roundTrip(mixed, "mixed") < 72000);
  // the builds as the file holds them: one after the other
  const both = new Uint8Array([
    ...kernelBytes("simd"),
    ...kernelBytes("relaxed"),
  ]);
  assertEquals(
    [...lzUnpack(decodeHex(wasmPackedHex), both.length)],
    [...both],
  );
});

Deno.test("wasm: unpacking rejects what is not packed data of that size", () => {
  const data = new Uint8Array([...randomBytes(100), ...randomBytes(100)]);
  data.set(data.subarray(0, 100), 100); // so that there is a copy
  const packed = lzPack(data);
  lzUnpack(packed, 200);
  for (
    const [what, bad, size] of [
      ["too short a size", packed, 199],
      ["too long a size", packed, 201],
      ["truncated", packed.subarray(0, packed.length - 1), 200],
      ["a copy from before the start", new Uint8Array([1, 9, 50, 5, 0]), 51],
      ["a copy of distance 0", new Uint8Array([1, 9, 50, 0, 0]), 51],
      ["a number that never ends", new Uint8Array([0x80, 0x80]), 1],
    ] as const
  ) {
    let caught: unknown;
    try {
      lzUnpack(bad, size);
    } catch (e) {
      caught = e;
    }
    assert(
      caught instanceof Error && caught.message.includes("not packed data"),
      `${what}: ${caught}`,
    );
  }
});

Deno.test("wasm: the hex fallback decodes as Uint8Array.fromHex does", () => {
  const bytes = randomBytes(1000);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const native = decodeHex(hex);
  assertEquals([...native], [...bytes]);
  const ctor = Uint8Array as unknown as { fromHex?: unknown };
  const saved = Object.getOwnPropertyDescriptor(Uint8Array, "fromHex");
  try {
    delete ctor.fromHex;
    assertEquals([...decodeHex(hex)], [...bytes]);
    assertEquals([...decodeHex(hex.toUpperCase())], [...bytes]);
    assertEquals(decodeHex("").length, 0);
    for (const bad of ["0", "0g", "12 3"]) {
      assertThrows(() => decodeHex(bad), SyntaxError);
    }
  } finally {
    if (saved) Object.defineProperty(Uint8Array, "fromHex", saved);
  }
  assertEquals(typeof ctor.fromHex, saved ? "function" : "undefined");
});

Deno.test("wasm: the committed file is what the build writes for its bytes", async () => {
  const committed = await Deno.readTextFile(
    new URL("../src/_wasm/kernels.ts", import.meta.url),
  );
  assertEquals(
    render(kernelBytes("simd"), kernelBytes("relaxed"), sourceHash),
    committed,
  );
});
