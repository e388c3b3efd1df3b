/**
 * Compiles `assembly/` with AssemblyScript and writes the wasm bytes into
 * `src/_wasm/kernels.ts`, a generated module (the two builds packed as hex
 * text, see `lzPack`, and the hash of the sources they came from), so that
 * `mod.ts` works from a URL, offline and under `deno serve` with no file or
 * network permission.
 *
 *   deno task build          rebuild src/_wasm/kernels.ts
 *   deno task build --check  rebuild in memory; fail if the committed file differs
 *
 * The file is a function of the builds' bytes alone: the packing is the
 * code below, not a compressor whose output could change with the Deno
 * that runs this. So the check compares text, which differs exactly when
 * the builds, the hash or the offsets do.
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
export function memoryFlagOffset(wasm: Uint8Array): number {
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

/**
 * Shortest repeat that `lzPack` codes as a copy. gzip matches shorter ones
 * in the literal text nearly as well (the file gzips to within 1% of the
 * same size for minimums from 12 to 64), so this trades the text's length
 * (Deno loads ~40 us per KB of TypeScript) against the number of copies
 * (each costs microseconds to undo on a cold start). Measured with builds
 * of 28.7 and 29.5 KB: 16 gives the smallest file gzipped (10.9 KB; 11.1 at
 * 48, 11.5 at 96) and the shortest text (37 KB; 51 at 48), and unpacking
 * still takes under 0.1 ms.
 */
const MIN_COPY = 16;
/** Earlier positions `lzPack` tries for a repeat, the nearest first. */
const CANDIDATES = 256;

/**
 * LZ77 without entropy coding (gzip adds that on the wire): a run of
 * literal bytes (its length, then the bytes), a copy of earlier output (its
 * length, its distance back), and so on, ending with a run; numbers are
 * LEB128 (7 bits a byte, low first). Greedy: at each position, the longest
 * match among the last `CANDIDATES` positions that start with the same 4
 * bytes. src/wasm.ts's `lzUnpack` undoes it.
 *
 * Why this, as hex: the file's size gzipped (as servers send it) and the
 * time to load it, measured with builds of 29.7 and 30.5 KB and Deno 2.9:
 * - base64 of the SIMD build and the relaxed one as a patch of it: 16.0 KB
 *   gzipped. gzip finds the bytes' repeats in base64 only at distances that
 *   are multiples of 3 bytes.
 * - hex of both builds: 12.4 KB, but 121 KB of text, and Deno loads a
 *   TypeScript module at ~40 us per KB (its emit embeds a source map):
 *   ~3 ms more start-up.
 * - deflate, in base64: 10.9 KB, but undoing it costs start-up: ~8 ms for
 *   the first DecompressionStream, ~35 ms for node:zlib, ~3 ms for an
 *   inflater in TypeScript, whose 3 KB would also outweigh the gain.
 * - this, as hex: 11.7 KB and 53 KB of text; unpacking takes ~0.5 ms
 *   (applying the patch took ~1 ms). Copies reach back any distance, so
 *   the relaxed build is mostly copies of the SIMD one; hex keeps every
 *   byte aligned, so gzip still finds the repeats in the literal runs.
 */
export function lzPack(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  const number = (v: number) => {
    for (; v >= 0x80; v = Math.floor(v / 0x80)) out.push(v & 0x7f | 0x80);
    out.push(v);
  };
  const literals = (from: number, to: number) => {
    number(to - from);
    for (let i = from; i < to; i++) out.push(data[i]);
  };
  const key = (i: number) =>
    data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24;
  const seen = new Map<number, number[]>();
  const remember = (i: number) => {
    if (i + 4 > data.length) return;
    const list = seen.get(key(i));
    if (list) list.push(i);
    else seen.set(key(i), [i]);
  };
  let run = 0; // where the pending literal run starts
  for (let i = 0; i < data.length;) {
    let length = 0, distance = 0;
    const list = i + MIN_COPY <= data.length ? seen.get(key(i)) ?? [] : [];
    for (
      let c = list.length - 1;
      c >= 0 && c >= list.length - CANDIDATES;
      c--
    ) {
      const j = list[c];
      let n = 0;
      while (i + n < data.length && data[j + n] === data[i + n]) n++;
      if (n > length) [length, distance] = [n, i - j];
    }
    if (length < MIN_COPY) {
      remember(i++);
      continue;
    }
    literals(run, i);
    number(length);
    number(distance);
    for (const end = i + length; i < end;) remember(i++);
    run = i;
  }
  literals(run, data.length);
  return new Uint8Array(out);
}

/** The generated file's text. */
export function render(
  simd: Uint8Array,
  relaxed: Uint8Array,
  hash: string,
): string {
  const flags = [memoryFlagOffset(simd), memoryFlagOffset(relaxed)];
  const both = new Uint8Array(simd.length + relaxed.length);
  both.set(simd);
  both.set(relaxed, simd.length);
  const hex = Array.from(
    lzPack(both),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  // long lines: a line break cuts gzip's matches
  const lines = (hex.match(/.{1,8192}/g) ?? [""]).map((l) => `  "${l}"`);
  return `// Code generated by scripts/build_wasm.ts from assembly/. DO NOT EDIT.
// Rebuild with \`deno task build\`; CI checks this file against the sources.

/** SHA-256 of the compiler version, assembly/*.ts and asconfig.json. */
export const sourceHash = "${hash}";

/** Sizes in bytes of the two builds. */
export const wasmSizes = { simd: ${simd.length}, relaxed: ${relaxed.length} };

/** Offsets of the shared-memory flag byte (0x03) in the two builds. */
export const memoryFlagOffsets = { simd: ${flags[0]}, relaxed: ${flags[1]} };

/**
 * The SIMD build followed by the relaxed one, packed (literal runs and
 * copies; see scripts/build_wasm.ts), as hex.
 */
export const wasmPackedHex =
${lines.join(" +\n")};
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
