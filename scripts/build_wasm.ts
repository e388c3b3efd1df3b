/**
 * Compiles `assembly/` with AssemblyScript and writes the wasm bytes into
 * `src/_wasm/kernels.ts`, a generated module (base64 + the hash of the
 * sources it came from), so that `mod.ts` works from a URL, offline and under
 * `deno serve` with no file or network permission.
 *
 *   deno task build          rebuild src/_wasm/kernels.ts
 *   deno task build --check  rebuild in memory; fail if the committed file differs
 *
 * @module
 */

const ASC = "npm:assemblyscript@0.28.20/asc";
const root = new URL("../", import.meta.url);
const outFile = new URL("src/_wasm/kernels.ts", root);

async function sourceHash(): Promise<string> {
  const names = [...Deno.readDirSync(new URL("assembly/", root))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => `assembly/${e.name}`)
    .sort();
  const parts: string[] = [ASC];
  for (const name of [...names, "asconfig.json"]) {
    parts.push(name, await Deno.readTextFile(new URL(name, root)));
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(parts.join("\0")),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Two builds from the same sources: plain SIMD, and with relaxed SIMD
 * enabled, where kernels test `ASC_FEATURE_RELAXED_SIMD` to use fused
 * multiply-add. src/wasm.ts picks one at run time by feature detection.
 * Both import a shared memory (asconfig.json), so that worker threads can
 * run kernels on the same memory; see memoryFlagOffset for hosts without.
 */
const VARIANTS = { simd: [], relaxed: ["--enable", "relaxed-simd"] };

async function compile(extra: string[]): Promise<Uint8Array> {
  const tmp = await Deno.makeTempDir();
  try {
    const out = `${tmp}/kernels.wasm`;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ASC,
        "assembly/index.ts",
        "--config",
        "asconfig.json",
        "--target",
        "release",
        "-o",
        out,
        ...extra,
      ],
      cwd: root,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(`asc failed:\n${new TextDecoder().decode(stderr)}`);
    }
    return await Deno.readFile(out);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/**
 * Byte offset of the limits flag of the module's one memory import (0x03:
 * shared, with a maximum). src/wasm.ts rewrites it to 0x01 (not shared)
 * where threads are unavailable, so one build serves both cases.
 */
function memoryFlagOffset(wasm: Uint8Array): number {
  let pos = 8;
  const leb = (): number => {
    let v = 0, shift = 0, b: number;
    do {
      b = wasm[pos++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  while (pos < wasm.length) {
    const id = wasm[pos++];
    const size = leb();
    const end = pos + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        for (let name = 0; name < 2; name++) { // module and field names
          const len = leb();
          pos += len;
        }
        const kind = wasm[pos++];
        if (kind === 2) {
          if (wasm[pos] !== 0x03) {
            throw new Error("the memory import is not shared with a maximum");
          }
          return pos;
        }
        if (kind === 0) leb(); // function: type index
        else throw new Error(`unexpected import kind ${kind}`);
      }
    }
    pos = end;
  }
  throw new Error("the module does not import its memory");
}

function base64Lines(wasm: Uint8Array): string {
  let b64 = "";
  for (let i = 0; i < wasm.length; i += 0x8000) {
    b64 += String.fromCharCode(...wasm.subarray(i, i + 0x8000));
  }
  const lines = btoa(b64).match(/.{1,100}/g) ?? [];
  return lines.map((l) => `  "${l}"`).join(" +\n");
}

/** Shortest run of equal bytes worth a copy instead of literal bytes. */
const MIN_COPY = 12;

/**
 * Edits that turn `base` into `target`: pairs of numbers (copy `length`
 * bytes from `offset` of `base`) and base64 strings (bytes to insert). The
 * two builds differ only in the functions that use relaxed SIMD, so the
 * relaxed build is stored as a few hundred bytes of edits of the other one.
 * Greedy: at each position, the longest match among base positions that
 * share its first 8 bytes, preferring the one that continues the last copy.
 */
function binaryPatch(
  base: Uint8Array,
  target: Uint8Array,
): (number | string)[] {
  const key = (x: Uint8Array, i: number) =>
    (x[i] | x[i + 1] << 8 | x[i + 2] << 16 | x[i + 3] << 24) * 31 +
    (x[i + 4] | x[i + 5] << 8 | x[i + 6] << 16 | x[i + 7] << 24);
  const index = new Map<number, number[]>();
  for (let i = 0; i + 8 <= base.length; i++) {
    const k = key(base, i);
    const list = index.get(k);
    if (!list) index.set(k, [i]);
    else if (list.length < 16) list.push(i);
  }
  const matchLength = (b: number, t: number) => {
    let n = 0;
    while (
      b + n < base.length && t + n < target.length &&
      base[b + n] === target[t + n]
    ) n++;
    return n;
  };
  const patch: (number | string)[] = [];
  let literal: number[] = [];
  let next = -1; // base position right after the last copy
  for (let t = 0; t < target.length;) {
    let best = 0, from = -1;
    if (next >= 0) [best, from] = [matchLength(next, t), next];
    for (
      const b of t + 8 <= target.length ? index.get(key(target, t)) ?? [] : []
    ) {
      const n = matchLength(b, t);
      if (n > best) [best, from] = [n, b];
    }
    if (best >= MIN_COPY) {
      if (literal.length) patch.push(btoa(String.fromCharCode(...literal)));
      literal = [];
      patch.push(from, best);
      t += best;
      next = from + best;
    } else {
      literal.push(target[t++]);
    }
  }
  if (literal.length) patch.push(btoa(String.fromCharCode(...literal)));
  return patch;
}

/** `binaryPatch`'s inverse, as src/wasm.ts applies it. */
function applyPatch(base: Uint8Array, patch: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < patch.length; i++) {
    const p = patch[i];
    if (typeof p === "string") {
      for (const c of atob(p)) out.push(c.charCodeAt(0));
    } else {
      out.push(...base.subarray(p, p + (patch[++i] as number)));
    }
  }
  return new Uint8Array(out);
}

function renderPatch(patch: (number | string)[]): string {
  const items = patch.map((p) => typeof p === "string" ? `"${p}"` : `${p}`);
  const lines: string[] = [];
  let line = " ";
  for (const item of items) {
    if (line.length + item.length + 2 > 100) {
      lines.push(line);
      line = " ";
    }
    line += ` ${item},`;
  }
  lines.push(line);
  return lines.join("\n");
}

function render(simd: Uint8Array, relaxed: Uint8Array, hash: string): string {
  const patch = binaryPatch(simd, relaxed);
  const rebuilt = applyPatch(simd, patch);
  if (
    rebuilt.length !== relaxed.length ||
    rebuilt.some((v, i) => v !== relaxed[i])
  ) {
    throw new Error("the relaxed build's patch does not reproduce it");
  }
  const flags = [memoryFlagOffset(simd), memoryFlagOffset(relaxed)];
  return `// Code generated by scripts/build_wasm.ts from assembly/. DO NOT EDIT.
// Rebuild with \`deno task build\`; CI checks this file against the sources.

/** SHA-256 of the compiler version, assembly/*.ts and asconfig.json. */
export const sourceHash = "${hash}";

/** Sizes in bytes of the two builds. */
export const wasmSizes = { simd: ${simd.length}, relaxed: ${relaxed.length} };

/** Offsets of the shared-memory flag byte (0x03) in the two builds. */
export const memoryFlagOffsets = { simd: ${flags[0]}, relaxed: ${flags[1]} };

/** The kernels built with SIMD, base64-encoded. */
export const simdWasmBase64 =
${base64Lines(simd)};

/**
 * The kernels built with relaxed SIMD as well, as edits of the SIMD build:
 * a pair of numbers copies \`length\` bytes from \`offset\` of it, a string
 * inserts its base64-decoded bytes.
 */
export const relaxedWasmPatch: readonly (number | string)[] = [
${renderPatch(patch)}
];
`;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const text = render(
    await compile(VARIANTS.simd),
    await compile(VARIANTS.relaxed),
    await sourceHash(),
  );
  if (check) {
    let committed = "";
    try {
      committed = await Deno.readTextFile(outFile);
    } catch { /* missing counts as different */ }
    if (committed !== text) {
      console.error(
        "src/_wasm/kernels.ts is not what assembly/ produces: run `deno task build` and commit it",
      );
      Deno.exit(1);
    }
    console.log("src/_wasm/kernels.ts matches assembly/");
  } else {
    await Deno.writeTextFile(outFile, text);
    console.log(`wrote src/_wasm/kernels.ts`);
  }
}
