/**
 * The safetensors format: an 8-byte little-endian header length `N`, `N`
 * bytes of UTF-8 JSON (`{name: {dtype, shape, data_offsets}, ...,
 * "__metadata__": {key: value}}`), then the raw little-endian tensor bytes.
 *
 * Writing follows the reference library byte for byte for float32 tensors
 * (data ordered by dtype alignment then name, the header padded with spaces
 * to a multiple of 8). Reading accepts every file the reference accepts for
 * the dtypes below and checks all sizes against the file before it reads or
 * allocates anything, so a hostile file costs at most a few times its own
 * size and ends in an Error.
 *
 * @module
 */
import { Tensor } from "../tensor.ts";
import { Storage } from "../storage.ts";
import { contiguousStrides, formatShape } from "../shape.ts";

/** The element types the reader understands. */
export type SafetensorsDtype =
  | "BOOL"
  | "U8"
  | "I8"
  | "F8_E5M2"
  | "F8_E4M3"
  | "I16"
  | "U16"
  | "F16"
  | "BF16"
  | "I32"
  | "U32"
  | "F32"
  | "F64"
  | "I64"
  | "U64";

/** One tensor's entry in a safetensors header. */
export interface SafetensorsTensorInfo {
  /** The tensor's name (its state-dict key). */
  name: string;
  /** The element type stored in the file. */
  dtype: SafetensorsDtype;
  /** The tensor's shape. */
  shape: number[];
  /** Byte range `[begin, end)` of its data, relative to the data area. */
  dataOffsets: [number, number];
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** The `__metadata__` string map, or null when the file has none. */
  metadata: Record<string, string> | null;
  /** The tensors in the order of their data in the file. */
  tensors: SafetensorsTensorInfo[];
  /** Byte offset of the data area in the file (8 + header length). */
  dataStart: number;
}

/** Options of `saveSafetensors()`. */
export interface SaveSafetensorsOptions {
  /** Free-form string pairs stored as the header's `__metadata__`. */
  metadata?: Record<string, string>;
}

/** Tensors to save: a plain object, a Map, or any iterable of pairs. */
export type NamedTensors =
  | Record<string, Tensor>
  | Map<string, Tensor>
  | Iterable<[string, Tensor]>;

/** The reference library refuses larger headers; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
/** Tensor dims must fit the int32 sizes and strides of the kernels. */
const MAX_DIM = 2 ** 31 - 1;
const METADATA_KEY = "__metadata__";

type Read = (view: DataView, byteOffset: number) => number;

interface DtypeSpec {
  /** Bytes per element. */
  size: number;
  /** Reads one element; the portable (and big-endian host) path. */
  read: Read;
}

/** IEEE half precision, exactly (every half is a float32). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** OCP FP8 E4M3 ("fn": no infinities, only S.1111.111 is NaN). */
function e4m3ToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const mant = b & 7;
  if (exp === 0xf && mant === 7) return NaN;
  if (exp === 0) return sign * mant * 2 ** -9;
  return sign * (8 + mant) * 2 ** (exp - 10);
}

const bitsScratch = new DataView(new ArrayBuffer(4));
function bitsToFloat(bits: number): number {
  bitsScratch.setUint32(0, bits >>> 0);
  return bitsScratch.getFloat32(0);
}

const DTYPES: Record<SafetensorsDtype, DtypeSpec> = Object.fromEntries(
  (
    [
      ["BOOL", 1, (v, o) => v.getUint8(o) === 0 ? 0 : 1],
      ["U8", 1, (v, o) => v.getUint8(o)],
      ["I8", 1, (v, o) => v.getInt8(o)],
      ["F8_E5M2", 1, (v, o) => halfToNumber(v.getUint8(o) << 8)],
      ["F8_E4M3", 1, (v, o) => e4m3ToNumber(v.getUint8(o))],
      ["I16", 2, (v, o) => v.getInt16(o, true)],
      ["U16", 2, (v, o) => v.getUint16(o, true)],
      ["F16", 2, (v, o) => halfToNumber(v.getUint16(o, true))],
      // A bfloat16 is the top half of a float32: widening is exact.
      ["BF16", 2, (v, o) => bitsToFloat(v.getUint16(o, true) << 16)],
      ["I32", 4, (v, o) => v.getInt32(o, true)],
      ["U32", 4, (v, o) => v.getUint32(o, true)],
      ["F32", 4, (v, o) => v.getFloat32(o, true)],
      ["F64", 8, (v, o) => v.getFloat64(o, true)],
      ["I64", 8, (v, o) => Number(v.getBigInt64(o, true))],
      ["U64", 8, (v, o) => Number(v.getBigUint64(o, true))],
    ] as [SafetensorsDtype, number, Read][]
  ).map(([name, size, read]) => [name, { size, read }]),
) as Record<SafetensorsDtype, DtypeSpec>;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | null = null;

/**
 * Decodes `bytes` (a copy, so aligned and owned) into float32. On
 * little-endian hosts (all common ones) typed arrays over the copy do it in
 * bulk; elsewhere a DataView reads element by element.
 */
function decode(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  const { size, read } = DTYPES[dtype];
  const numel = bytes.length / size;
  const buf = bytes.buffer as ArrayBuffer;
  if (LITTLE_ENDIAN) {
    switch (dtype) {
      case "F32":
        return new Float32Array(buf);
      case "F64":
        return new Float32Array(new Float64Array(buf));
      case "U8":
        return new Float32Array(bytes);
      case "I8":
        return new Float32Array(new Int8Array(buf));
      case "I16":
        return new Float32Array(new Int16Array(buf));
      case "U16":
        return new Float32Array(new Uint16Array(buf));
      case "I32":
        return new Float32Array(new Int32Array(buf));
      case "U32":
        return new Float32Array(new Uint32Array(buf));
      case "F16": {
        if (halfTable === null) {
          halfTable = new Float32Array(65536);
          for (let h = 0; h < 65536; h++) halfTable[h] = halfToNumber(h);
        }
        const table = halfTable, src = new Uint16Array(buf);
        const out = new Float32Array(numel);
        for (let i = 0; i < numel; i++) out[i] = table[src[i]];
        return out;
      }
      case "BF16": {
        const src = new Uint16Array(buf), bits = new Uint32Array(numel);
        for (let i = 0; i < numel; i++) bits[i] = src[i] << 16;
        return new Float32Array(bits.buffer);
      }
    }
  }
  const view = new DataView(buf);
  const out = new Float32Array(numel);
  for (let i = 0; i < numel; i++) out[i] = read(view, i * size);
  return out;
}

function invalid(
  ErrorClass: new (message: string) => Error,
  what: string,
): Error {
  return new ErrorClass(`Invalid safetensors file: ${what}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") {
    return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v);
  }
  return String(v);
}

/**
 * Rejects duplicate keys in the top-level object and in the objects directly
 * inside it (tensor entries and `__metadata__`); `JSON.parse` would silently
 * keep the last one. `text` must already be valid JSON, so a string followed
 * by `:` is a key. Deeper levels are ignored: the schema has no objects
 * there, and one set per level would let a deeply nested header cost
 * memory out of proportion to its size.
 */
function checkDuplicateKeys(text: string): void {
  let depth = 0;
  const top = new Set<string>();
  let inner = new Set<string>();
  let innerOwner = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth === 2) inner = new Set();
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      }
      if (depth > 2) continue;
      let j = i + 1;
      while (/[ \t\n\r]/.test(text[j])) j++;
      if (text[j] !== ":") continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      const seen = depth === 1 ? top : inner;
      if (seen.has(key)) {
        throw invalid(
          SyntaxError,
          depth === 1
            ? `duplicate name ${JSON.stringify(key)} in the header`
            : `duplicate field ${JSON.stringify(key)} in the header entry ${
              JSON.stringify(innerOwner)
            }`,
        );
      }
      seen.add(key);
      if (depth === 1) innerOwner = key;
    }
  }
}

function readInfo(name: string, entry: unknown): SafetensorsTensorInfo {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(entry)) {
    throw invalid(
      TypeError,
      `${where}: expected an object, got ${describe(entry)}`,
    );
  }
  for (const field of ["dtype", "shape", "data_offsets"]) {
    if (!Object.hasOwn(entry, field)) {
      throw invalid(TypeError, `${where}: missing field "${field}"`);
    }
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== "string") {
    throw invalid(
      TypeError,
      `${where}: dtype must be a string, got ${describe(dtype)}`,
    );
  }
  if (!Object.hasOwn(DTYPES, dtype)) {
    throw invalid(
      TypeError,
      `${where}: unknown or unsupported dtype ${describe(dtype)} (supported: ${
        Object.keys(DTYPES).join(", ")
      })`,
    );
  }
  if (!Array.isArray(shape)) {
    throw invalid(
      TypeError,
      `${where}: shape must be an array, got ${describe(shape)}`,
    );
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > MAX_DIM) {
      throw invalid(
        RangeError,
        `${where}: shape must hold integers in [0, ${MAX_DIM}], got ${
          describe(d)
        }`,
      );
    }
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw invalid(
      TypeError,
      `${where}: data_offsets must be an array [begin, end], got ${
        describe(offsets)
      }`,
    );
  }
  for (const o of offsets) {
    if (typeof o !== "number" || !Number.isSafeInteger(o) || o < 0) {
      throw invalid(
        RangeError,
        `${where}: data_offsets must hold non-negative integers, got ${
          describe(o)
        }`,
      );
    }
  }
  return {
    name,
    dtype: dtype as SafetensorsDtype,
    shape: shape.map((d) => d + 0), // + 0 turns a JSON -0 into 0
    dataOffsets: [offsets[0] + 0, offsets[1] + 0],
  };
}

/**
 * Number of bytes a tensor's shape and dtype need, or -1 past 2^53 (checked
 * as the product grows, so it stays exact and never overflows).
 */
function byteSize(shape: readonly number[], size: number): number {
  if (shape.includes(0)) return 0;
  let bytes = size;
  for (const d of shape) {
    bytes *= d;
    if (bytes > Number.MAX_SAFE_INTEGER) return -1;
  }
  return bytes;
}

/**
 * Parses and validates the header of a safetensors file without reading any
 * tensor data: names, dtypes, shapes, offsets, and the `__metadata__` map.
 * Throws a RangeError, TypeError or SyntaxError naming the problem when the
 * file is malformed (the checks of `loadSafetensors`).
 *
 * @example
 * ```ts
 * import { readSafetensorsHeader, saveSafetensors, zeros } from "../../mod.ts";
 * const bytes = saveSafetensors({ w: zeros(2, 3) }, { metadata: { epoch: "7" } });
 * const header = readSafetensorsHeader(bytes);
 * console.log(header.metadata, header.tensors[0].shape); // { epoch: "7" } [2, 3]
 * ```
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `readSafetensorsHeader() expects a Uint8Array, got ${describe(bytes)}`,
    );
  }
  if (bytes.length < 8) {
    throw invalid(
      RangeError,
      `the file has ${bytes.length} bytes, fewer than the 8 of the header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw invalid(
      RangeError,
      `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`,
    );
  }
  const headerBytes = Number(n);
  if (8 + headerBytes > bytes.length) {
    throw invalid(
      RangeError,
      `header length ${headerBytes} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
      .decode(bytes.subarray(8, 8 + headerBytes));
  } catch {
    throw invalid(SyntaxError, "the header is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalid(
      SyntaxError,
      `the header is not JSON (${(e as Error).message})`,
    );
  }
  if (!isPlainObject(parsed)) {
    throw invalid(
      TypeError,
      `the header must be a JSON object, got ${describe(parsed)}`,
    );
  }
  checkDuplicateKeys(text);

  let metadata: Record<string, string> | null = null;
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(parsed)) {
    if (name !== METADATA_KEY) {
      tensors.push(readInfo(name, entry));
    } else if (entry !== null) {
      if (!isPlainObject(entry)) {
        throw invalid(
          TypeError,
          `__metadata__ must be an object of strings, got ${describe(entry)}`,
        );
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== "string") {
          throw invalid(
            TypeError,
            `__metadata__ values must be strings, got ${describe(v)} for ${
              JSON.stringify(k)
            }`,
          );
        }
      }
      metadata = { ...entry } as Record<string, string>;
    }
  }

  // Writers may list entries in any order; the data must still tile the data
  // area exactly, with no overlap and no gap, as the reference requires.
  tensors.sort((a, b) =>
    a.dataOffsets[0] - b.dataOffsets[0] ||
    a.dataOffsets[1] - b.dataOffsets[1] ||
    compareNames(a.name, b.name)
  );
  const dataStart = 8 + headerBytes;
  const dataBytes = bytes.length - dataStart;
  let pos = 0;
  for (const t of tensors) {
    const [begin, end] = t.dataOffsets;
    const where = `tensor ${
      JSON.stringify(t.name)
    }: data_offsets [${begin}, ${end}]`;
    if (end < begin) {
      throw invalid(RangeError, `${where} end before they begin`);
    }
    if (end > dataBytes) {
      throw invalid(
        RangeError,
        `${where} run past the ${dataBytes}-byte data area`,
      );
    }
    if (begin < pos) {
      throw invalid(
        RangeError,
        `${where} overlap the previous tensor (ending at ${pos})`,
      );
    }
    if (begin > pos) {
      throw invalid(RangeError, `${where} leave a gap after byte ${pos}`);
    }
    const need = byteSize(t.shape, DTYPES[t.dtype].size);
    if (need !== end - begin) {
      throw invalid(
        RangeError,
        `tensor ${JSON.stringify(t.name)}: shape ${
          formatShape(t.shape)
        } of ${t.dtype} needs ${
          need < 0 ? "more than 2^53" : need
        } bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    pos = end;
  }
  if (pos !== dataBytes) {
    throw invalid(
      RangeError,
      `the tensors cover ${pos} bytes but the data area has ${dataBytes}`,
    );
  }
  return { metadata, tensors, dataStart };
}

/**
 * Reads a safetensors file into float32 tensors, name -> Tensor, in the order
 * of their data in the file; `model.loadStateDict(loadSafetensors(bytes))`
 * loads weights saved by PyTorch (`safetensors.torch.save_file`) or by
 * `saveSafetensors`. F32, F16, BF16 and the FP8 types convert exactly; F64,
 * and integers beyond 2^24, round to the nearest float32 (F64 beyond the
 * float32 range becomes ±Infinity); BOOL reads as 0/1. Every tensor is a new
 * copy, independent of `bytes`. A malformed file throws a RangeError,
 * TypeError or SyntaxError before any tensor is made. A Map rather than a
 * plain object keeps names such as `"__proto__"` or `"0"` safe and in order.
 *
 * @example
 * ```ts
 * import { loadSafetensors, saveSafetensors, tensor } from "../../mod.ts";
 * const bytes = saveSafetensors({ bias: tensor([0.5, -1]) });
 * const state = loadSafetensors(bytes);
 * console.log(state.get("bias")?.toArray()); // [0.5, -1]
 * ```
 */
export function loadSafetensors(bytes: Uint8Array): Map<string, Tensor> {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `loadSafetensors() expects a Uint8Array, got ${describe(bytes)}`,
    );
  }
  const { tensors, dataStart } = readSafetensorsHeader(bytes);
  const out = new Map<string, Tensor>();
  for (const t of tensors) {
    const [begin, end] = t.dataOffsets;
    const data = decode(
      t.dtype,
      bytes.slice(dataStart + begin, dataStart + end),
    );
    out.set(
      t.name,
      Tensor._fromStorage(
        Storage.fromHost(data),
        t.shape,
        contiguousStrides(t.shape),
        0,
      ),
    );
  }
  return out;
}

/** Orders names as Rust orders strings: by UTF-8 bytes, i.e. code points. */
function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator](), ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next(), y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const cx = x.value.codePointAt(0)!, cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

function entriesOf(tensors: NamedTensors): [unknown, unknown][] {
  if (tensors instanceof Map) return [...tensors];
  if (tensors !== null && typeof tensors === "object") {
    if (Symbol.iterator in tensors) {
      return [...(tensors as Iterable<[unknown, unknown]>)].map((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError(
            `saveSafetensors() expects [name, tensor] pairs, got ${
              describe(pair)
            } at position ${i}`,
          );
        }
        return [pair[0], pair[1]];
      });
    }
    return Object.entries(tensors);
  }
  throw new TypeError(
    `saveSafetensors() expects an object, a Map or an iterable of [name, tensor] pairs, got ${
      describe(tensors)
    }`,
  );
}

/**
 * Writes float32 tensors as a safetensors file (`dtype` "F32"), readable by
 * PyTorch's `safetensors.torch.load_file` and by `loadSafetensors`. The
 * bytes match what the reference library writes for the same tensors: data
 * sorted by name, header padded with spaces to a multiple of 8 so the data
 * is 8-byte aligned. Tensors are saved by value (views are laid out
 * contiguously; autograd state is not saved).
 *
 * @example
 * ```ts
 * import { loadSafetensors, saveSafetensors, tensor } from "../../mod.ts";
 * const bytes = saveSafetensors(
 *   { weight: tensor([[1, 2]]), bias: tensor([3]) },
 *   { metadata: { format: "pt" } },
 * );
 * console.log(loadSafetensors(bytes).get("weight")?.shape); // [1, 2]
 * ```
 */
export function saveSafetensors(
  tensors: NamedTensors,
  options: SaveSafetensorsOptions = {},
): Uint8Array {
  const entries = entriesOf(tensors);
  const names = new Set<string>();
  for (const [name, t] of entries) {
    if (typeof name !== "string") {
      throw new TypeError(
        `tensor names must be strings, got ${describe(name)}`,
      );
    }
    if (name === METADATA_KEY) {
      throw new RangeError(
        `the name "${METADATA_KEY}" is reserved for metadata`,
      );
    }
    if (names.has(name)) {
      throw new RangeError(`duplicate tensor name ${JSON.stringify(name)}`);
    }
    names.add(name);
    if (!(t instanceof Tensor)) {
      throw new TypeError(
        `expected a Tensor for ${JSON.stringify(name)}, got ${describe(t)}`,
      );
    }
  }
  const metadata = options.metadata;
  if (metadata !== undefined && !isPlainObject(metadata)) {
    throw new TypeError(
      `metadata must be an object of strings, got ${describe(metadata)}`,
    );
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== "string") {
      throw new TypeError(
        `metadata values must be strings, got ${describe(v)} for ${
          JSON.stringify(k)
        }`,
      );
    }
  }

  const sorted = (entries as [string, Tensor][]).sort((a, b) =>
    compareNames(a[0], b[0])
  );
  // Built by hand: JSON.stringify of an object would move integer-like names
  // ("0", "1") to the front, away from the data order.
  const parts: string[] = [];
  if (metadata !== undefined) {
    parts.push(
      `"${METADATA_KEY}":{${
        Object.entries(metadata).map(([k, v]) =>
          `${JSON.stringify(k)}:${JSON.stringify(v)}`
        )
          .join(",")
      }}`,
    );
  }
  let offset = 0;
  for (const [name, t] of sorted) {
    const bytes = t.numel() * 4;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"F32","shape":[${t.shape.join(",")}],` +
        `"data_offsets":[${offset},${offset + bytes}]}`,
    );
    offset += bytes;
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(header);
    header = spaced;
  }

  const out = new Uint8Array(8 + header.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let pos = 8 + header.length;
  for (const [, t] of sorted) {
    const values = t.toFloat32Array();
    if (LITTLE_ENDIAN) {
      out.set(
        new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
        pos,
      );
      pos += values.byteLength;
    } else {
      for (let i = 0; i < values.length; i++, pos += 4) {
        view.setFloat32(pos, values[i], true);
      }
    }
  }
  return out;
}
