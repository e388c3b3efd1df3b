// The raw wasm matmul kernel of each build (plain SIMD, relaxed SIMD with
// fused multiply-add), each instantiated on its own memory, shared and not,
// against a float64 reference computed here: sizes that straddle the 5 x 8
// register tile and the 256-deep / 120-row / 256-wide blocks, operands in
// every layout (plain, transposed, no unit stride, stride 0), accumulation
// into C, and guard values around C that must survive. The library itself
// runs only one build, so this is where the other is tested.
//
// Tolerance as in matmul_test.ts: 1e-5 relative plus 1e-6 * sqrt(k) *
// sum |a_ip * b_pj| (a fused multiply-add rounds less, not more).
import {
  instantiateKernels,
  kernelBytes,
  type Kernels,
  type KernelVariant,
  relaxedSimdSupported,
} from "../../src/wasm.ts";
import { assert } from "../_assert.ts";
import { seededRandom } from "../support/random.ts";

const random = seededRandom(0x3c6ef372);

/** A matrix operand: element (i, j) at float index i * rs + j * cs. */
interface Layout {
  rs: number;
  cs: number;
  /** floats the operand spans */
  span: number;
}

type LayoutName = "plain" | "t" | "strided" | "rows0";

/** Strides of an r x c operand in a named layout. */
function layout(r: number, c: number, name: LayoutName): Layout {
  switch (name) {
    case "plain": // row-major
      return { rs: c, cs: 1, span: r * c };
    case "t": // a transposed view of a c x r row-major matrix
      return { rs: 1, cs: r, span: r * c };
    case "strided": // every other column of every other row: no unit stride
      return { rs: 4 * c, cs: 2, span: 4 * c * r };
    case "rows0": // one row repeated (an expanded operand)
      return { rs: 0, cs: 1, span: c };
  }
}

const GUARD = 12345.5;

/** Runs one product on `kx` and checks it, C initialised to `c0` when accumulating. */
function checkProduct(
  kx: Kernels,
  m: number,
  n: number,
  k: number,
  la: LayoutName,
  lb: LayoutName,
  accumulate: boolean,
  what: string,
): void {
  const A = layout(m, k, la), B = layout(k, n, lb);
  const scratch = kx.heapBase();
  // operands above the scratch, 64-byte aligned; C with a guard each side
  const aPtr = (scratch + kx.matmulScratchBytes() + 63) & ~63;
  const bPtr = (aPtr + 4 * A.span + 63) & ~63;
  const cPtr = (bPtr + 4 * B.span + 64 + 63) & ~63;
  const end = cPtr + 4 * (m * n + 16);
  const have = kx.memory.buffer.byteLength;
  if (end > have) kx.memory.grow(Math.ceil((end - have) / 65536));
  const f = new Float32Array(kx.memory.buffer);
  const a = f.subarray(aPtr >> 2, (aPtr >> 2) + A.span);
  const b = f.subarray(bPtr >> 2, (bPtr >> 2) + B.span);
  for (let i = 0; i < a.length; i++) a[i] = 2 * random() - 1;
  for (let i = 0; i < b.length; i++) b[i] = 2 * random() - 1;
  const c0 = new Float32Array(m * n);
  if (accumulate) {
    for (let i = 0; i < c0.length; i++) {
      c0[i] = 2 * random() - 1;
    }
  }
  const ci = cPtr >> 2;
  f.fill(GUARD, ci - 16, ci);
  f.set(accumulate ? c0 : new Float32Array(m * n).fill(NaN), ci);
  f.fill(GUARD, ci + m * n, ci + m * n + 16);

  kx.matmul(
    m,
    n,
    k,
    aPtr,
    A.rs,
    A.cs,
    bPtr,
    B.rs,
    B.cs,
    cPtr,
    accumulate ? 1 : 0,
    scratch,
  );

  const out = new Float32Array(kx.memory.buffer, cPtr - 64, m * n + 32);
  for (let g = 0; g < 16; g++) {
    assert(out[g] === GUARD, `${what}: wrote before C`);
    assert(out[16 + m * n + g] === GUARD, `${what}: wrote past C`);
  }
  const noise = 1e-6 * Math.sqrt(k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = accumulate ? c0[i * n + j] : 0, scale = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const prod = a[i * A.rs + p * A.cs] * b[p * B.rs + j * B.cs];
        s += prod;
        scale += Math.abs(prod);
      }
      const got = out[16 + i * n + j];
      const tol = 1e-5 * Math.abs(s) + noise * scale;
      assert(
        Math.abs(got - s) <= tol,
        `${what} [${i}, ${j}]: got ${got}, expected ${s} (tolerance ${tol})`,
      );
    }
  }
}

const variants: { variant: KernelVariant; shared: boolean }[] = [];
for (const variant of ["simd", "relaxed"] as const) {
  for (const shared of [false, true]) variants.push({ variant, shared });
}

for (const { variant, shared } of variants) {
  const name = `${variant} build, ${shared ? "shared" : "plain"} memory`;
  const ignore = (variant === "relaxed" && !relaxedSimdSupported) ||
    (shared && typeof SharedArrayBuffer !== "function");

  Deno.test({
    name: `matmul kernel (${name}): sizes around the tile, every layout`,
    ignore,
    fn() {
      const kx = instantiateKernels(variant, shared);
      const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 65];
      const layouts = [["plain", "plain"], ["t", "plain"], ["plain", "t"], [
        "t",
        "t",
      ]] as const;
      for (const m of sizes) {
        for (const n of sizes) {
          for (const k of sizes) {
            for (const [la, lb] of layouts) {
              checkProduct(
                kx,
                m,
                n,
                k,
                la,
                lb,
                false,
                `${m}x${k} (${la}) @ ${k}x${n} (${lb})`,
              );
            }
          }
        }
      }
    },
  });

  Deno.test({
    name: `matmul kernel (${name}): large shapes cross the cache blocks`,
    ignore,
    fn() {
      const kx = instantiateKernels(variant, shared);
      const cases: [number, number, number, LayoutName, LayoutName][] = [
        [300, 257, 513, "plain", "plain"],
        [300, 257, 513, "t", "plain"],
        [300, 257, 513, "plain", "t"],
        [300, 257, 513, "t", "t"],
        [129, 600, 300, "plain", "plain"],
        [133, 70, 290, "strided", "strided"],
        [70, 133, 290, "rows0", "t"],
        [261, 31, 9, "t", "strided"],
      ];
      for (const [m, n, k, la, lb] of cases) {
        checkProduct(
          kx,
          m,
          n,
          k,
          la,
          lb,
          false,
          `${m}x${k} (${la}) @ ${k}x${n} (${lb})`,
        );
      }
    },
  });

  Deno.test({
    name: `matmul kernel (${name}): accumulates into C`,
    ignore,
    fn() {
      const kx = instantiateKernels(variant, shared);
      for (
        const [m, n, k] of [[3, 5, 7], [1, 40, 33], [40, 2, 33], [9, 17, 16], [
          130,
          260,
          300,
        ]]
      ) {
        for (const [la, lb] of [["plain", "plain"], ["t", "t"]] as const) {
          checkProduct(
            kx,
            m,
            n,
            k,
            la,
            lb,
            true,
            `C + ${m}x${k} (${la}) @ ${k}x${n} (${lb})`,
          );
        }
      }
    },
  });
}

Deno.test("matmul kernel: the relaxed build differs from the plain one", () => {
  // ASC_FEATURE_RELAXED_SIMD switches the micro-kernel to relaxed_madd; if
  // it stopped doing so, both builds would be the same bytes
  const simd = kernelBytes("simd"), relaxed = kernelBytes("relaxed");
  assert(
    simd.length !== relaxed.length || simd.some((v, i) => v !== relaxed[i]),
  );
  // and both are valid modules
  assert(WebAssembly.validate(simd));
  assert(!relaxedSimdSupported || WebAssembly.validate(relaxed));
});
