import {
  loadSafetensors,
  readSafetensorsHeader,
  saveSafetensors,
} from "../../src/io/safetensors.ts";
import { arange, rand, type Tensor, tensor, zeros } from "../../mod.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { seededRandom } from "../support/random.ts";

const FIXTURES = new URL(
  "../../../shared/fixtures/safetensors/",
  import.meta.url,
);

// ---- an independent writer and reader, used as the oracle ----

const enc = new TextEncoder();

/** A file from raw parts; `length` overrides the header-length field. */
function makeFile(
  header: string | object,
  data: Uint8Array | number = 0,
  length?: bigint,
): Uint8Array {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const h = enc.encode(text);
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

const SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** Half to float through float32 bit patterns (the implementation uses arithmetic). */
function f16(h: number): number {
  const sign = (h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return (sign ? -1 : 1) * mant / 2 ** 24;
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(
    0,
    (sign | (exp === 31 ? 0xff << 23 : (exp + 112) << 23) | (mant << 13)) >>>
      0,
  );
  return dv.getFloat32(0);
}

/** OCP FP8 E4M3FN as its specification states it. */
function e4m3(b: number): number {
  const s = b & 0x80 ? -1 : 1, e = (b >> 3) & 15, m = b & 7;
  if (e === 15 && m === 7) return NaN;
  return e === 0 ? s * 2 ** -6 * (m / 8) : s * 2 ** (e - 7) * (1 + m / 8);
}

function refDecode(dtype: string, bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = SIZES[dtype];
  const out: number[] = [];
  for (let o = 0; o < bytes.length; o += size) {
    let x: number;
    switch (dtype) {
      case "BOOL":
        x = v.getUint8(o) ? 1 : 0;
        break;
      case "U8":
        x = v.getUint8(o);
        break;
      case "I8":
        x = v.getInt8(o);
        break;
      case "F8_E5M2":
        x = f16(v.getUint8(o) << 8);
        break;
      case "F8_E4M3":
        x = e4m3(v.getUint8(o));
        break;
      case "I16":
        x = v.getInt16(o, true);
        break;
      case "U16":
        x = v.getUint16(o, true);
        break;
      case "F16":
        x = f16(v.getUint16(o, true));
        break;
      case "BF16": {
        const t = new DataView(new ArrayBuffer(4));
        t.setUint16(0, v.getUint16(o, true));
        x = t.getFloat32(0);
        break;
      }
      case "I32":
        x = v.getInt32(o, true);
        break;
      case "U32":
        x = v.getUint32(o, true);
        break;
      case "F32":
        x = v.getFloat32(o, true);
        break;
      case "F64":
        x = v.getFloat64(o, true);
        break;
      case "I64":
        x = Number(v.getBigInt64(o, true));
        break;
      case "U64":
        x = Number(v.getBigUint64(o, true));
        break;
      default:
        throw new Error(`test oracle: unknown dtype ${dtype}`);
    }
    out.push(Math.fround(x));
  }
  return out;
}

function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  assertEquals(actual.length, expected.length, "length");
  for (let i = 0; i < expected.length; i++) {
    assert(
      Object.is(actual[i], expected[i]),
      `element ${i}: got ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

/** Checks a load result against the file's header and bytes, read independently. */
function checkAgainstOracle(bytes: Uint8Array, loaded: Map<string, Tensor>) {
  const n = Number(
    new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true),
  );
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  assertEquals([...loaded.keys()].sort(), names.sort());
  for (const name of names) {
    const { dtype, shape, data_offsets: [b, e] } = header[name];
    const t = loaded.get(name)!;
    assertEquals([...t.shape], shape, `shape of ${name}`);
    assertEquals(t.numel(), shape.reduce((p: number, d: number) => p * d, 1));
    sameValues(
      t.toFloat32Array(),
      refDecode(dtype, bytes.subarray(8 + n + b, 8 + n + e)),
    );
  }
}

function isFormatError(e: unknown): boolean {
  return (e instanceof RangeError || e instanceof TypeError ||
    e instanceof SyntaxError) &&
    e.message.startsWith("Invalid safetensors file: ");
}

// ---- files written by the reference library ----

interface FixtureRow {
  file: string;
  name: string;
  dtype: string;
  values: number[];
}

async function fixtureRows(): Promise<[FixtureRow[], Record<string, string>]> {
  const readme = await Deno.readTextFile(new URL("README.md", FIXTURES));
  const rows: FixtureRow[] = [];
  for (const line of readme.split("\n")) {
    const m = line.match(
      /^\| `([^`]+\.safetensors)` \| `([^`]+)` \| (\w+) \| ([-\d ]+) \|$/,
    );
    if (m) {
      rows.push({
        file: m[1],
        name: m[2],
        dtype: m[3],
        values: m[4].trim().split(/\s+/).map(Number),
      });
    }
  }
  const meta = readme.match(/metadata `(\{[^`]*\})`/);
  assert(meta, "README states the metadata");
  return [rows, JSON.parse(meta[1])];
}

Deno.test("safetensors: reads every sample file of the reference library", async () => {
  const [rows, metadata] = await fixtureRows();
  assert(rows.length >= 9, `README lists ${rows.length} files`);
  const all = new Map<string, FixtureRow>();
  for (const row of rows) {
    const bytes = await Deno.readFile(new URL(row.file, FIXTURES));
    const header = readSafetensorsHeader(bytes);
    assertEquals(header.metadata, metadata);
    assertEquals(header.tensors.length, 1);
    assertEquals(header.tensors[0].dtype, row.dtype);
    const loaded = loadSafetensors(bytes);
    assertEquals([...loaded.keys()], [row.name]);
    const t = loaded.get(row.name)!;
    assertEquals(t.numel(), row.values.length);
    sameValues(t.toFloat32Array(), row.values.map(Math.fround));
    checkAgainstOracle(bytes, loaded);
    all.set(row.name, row);
  }
  const overall = await Deno.readFile(new URL("overall.safetensors", FIXTURES));
  const loaded = loadSafetensors(overall);
  assertEquals(readSafetensorsHeader(overall).metadata, metadata);
  assertEquals([...loaded.keys()].sort(), [...all.keys()].sort());
  for (const [name, row] of all) {
    sameValues(loaded.get(name)!.toFloat32Array(), row.values.map(Math.fround));
  }
  checkAgainstOracle(overall, loaded);
});

Deno.test("safetensors: writes the bytes the reference library writes", () => {
  // Expected bytes from the reference library's own serialization tests.
  const values = tensor([0, 1, 2, 3, 4, 5]);
  const data = new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);
  assertEquals(
    saveSafetensors({ "attn.0": values.reshape(1, 2, 3) }),
    makeFile(
      '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}',
      data,
    ),
  );
  assertEquals(
    saveSafetensors({ attn0: values.reshape(1, 1, 2, 3) }),
    makeFile(
      '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}' +
        " ".repeat(7),
      data,
    ),
  );
  assertEquals(saveSafetensors({}), makeFile("{}" + " ".repeat(6)));
  assertEquals(
    saveSafetensors(new Map(), { metadata: { framework: "pt" } }),
    makeFile('{"__metadata__":{"framework":"pt"}}' + " ".repeat(5)),
  );
});

Deno.test("safetensors: round trip keeps names, shapes, values and metadata", () => {
  const rnd = seededRandom(7);
  const named: [string, Tensor][] = [
    ["0", tensor(3.5)],
    ["10", zeros(0, 3)],
    ["2", rand(4, 5).sub(0.5)],
    ["__proto__", tensor([1, -0, Infinity, -Infinity, NaN])],
    ["", arange(6).reshape(2, 3).t()], // a non-contiguous view
    ["layer.weight", rand(3, 1, 2)],
    ["émoji 😀", tensor([[1e-45, 3.4028234663852886e38]])],
    ["\uff5e", tensor([rnd()])],
  ];
  const metadata = { format: "pt", note: 'quote " and \\ and ünïcode' };
  for (const input of [new Map(named), Object.fromEntries(named), named]) {
    const bytes = saveSafetensors(input, { metadata });
    const header = readSafetensorsHeader(bytes);
    assertEquals(header.dataStart % 8, 0);
    assertEquals(header.metadata, metadata);
    const loaded = loadSafetensors(bytes);
    assertEquals(loaded.size, named.length);
    for (const [name, t] of named) {
      const back = loaded.get(name);
      assert(back, `missing ${JSON.stringify(name)}`);
      assertEquals([...back.shape], [...t.shape], name);
      sameValues(back.toFloat32Array(), t.toFloat32Array());
    }
    checkAgainstOracle(bytes, loaded);
    // Data in name order as Rust compares strings: by UTF-8 bytes.
    const order = header.tensors.map((t) => t.name);
    const byBytes = [...order].sort((a, b) => {
      const x = enc.encode(a), y = enc.encode(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        if (x[i] !== y[i]) return x[i] - y[i];
      }
      return x.length - y.length;
    });
    assertEquals(order, byBytes);
    assertEquals([...loaded.keys()], order);
  }
});

Deno.test("safetensors: loaded tensors are copies of the file", () => {
  const bytes = saveSafetensors({ a: tensor([1, 2, 3]) });
  const loaded = loadSafetensors(bytes);
  bytes.fill(0, bytes.length - 12);
  sameValues(loaded.get("a")!.toFloat32Array(), [1, 2, 3]);
  // And from a view that does not start at the beginning of its buffer.
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(saveSafetensors({ a: tensor([4, 5]) }), 3);
  const view = padded.subarray(
    3,
    3 + saveSafetensors({ a: tensor([4, 5]) }).length,
  );
  const fromView = loadSafetensors(view);
  padded.fill(0);
  sameValues(fromView.get("a")!.toFloat32Array(), [4, 5]);
});

Deno.test("safetensors: reads every dtype, in any header order, with extra fields", () => {
  const dtypes = Object.keys(SIZES);
  const rnd = seededRandom(11);
  const header: Record<string, unknown> = { __metadata__: null };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const dtype of [...dtypes].reverse()) {
    const shape = [2, 3];
    const bytes = new Uint8Array(6 * SIZES[dtype]).map(() => rnd() * 256);
    header[dtype.toLowerCase()] = {
      data_offsets: [offset, offset + bytes.length],
      shape,
      dtype,
      extra: { ignored: [1, 2] },
    };
    parts.push(bytes);
    offset += bytes.length;
  }
  header.empty = {
    dtype: "F64",
    shape: [0, 2],
    data_offsets: [offset, offset],
  };
  header.scalar = {
    dtype: "F32",
    shape: [],
    data_offsets: [offset, offset + 4],
  };
  parts.push(new Uint8Array(new Float32Array([-2.5]).buffer));
  const file = makeFile(
    "\n " + JSON.stringify(header, null, 2) + "  ",
    new Uint8Array(parts.flatMap((p) => [...p])),
  );
  const loaded = loadSafetensors(file);
  assertEquals(readSafetensorsHeader(file).metadata, null);
  checkAgainstOracle(file, loaded);
  assertEquals(loaded.get("scalar")!.item(), -2.5);
  assertEquals([...loaded.get("empty")!.shape], [0, 2]);
});

Deno.test("safetensors: F16, BF16 and FP8 values decode exactly", () => {
  // [bits, value] pairs from the IEEE 754 / bfloat16 / OCP FP8 definitions.
  const cases: [string, number, number][] = [
    ["F16", 0x3c00, 1],
    ["F16", 0xc000, -2],
    ["F16", 0x7bff, 65504],
    ["F16", 0x0001, 2 ** -24],
    ["F16", 0x0400, 2 ** -14],
    ["F16", 0x3555, 0.333251953125],
    ["F16", 0x8000, -0],
    ["F16", 0x7c00, Infinity],
    ["F16", 0xfc00, -Infinity],
    ["F16", 0x7e00, NaN],
    ["BF16", 0x3f80, 1],
    ["BF16", 0x4049, 3.140625],
    ["BF16", 0x7f7f, 3.3895313892515355e38],
    ["BF16", 0x0001, 2 ** -133],
    ["BF16", 0xff80, -Infinity],
    ["BF16", 0x7fc0, NaN],
    ["F8_E4M3", 0x38, 1],
    ["F8_E4M3", 0xb8, -1],
    ["F8_E4M3", 0x7e, 448],
    ["F8_E4M3", 0x01, 2 ** -9],
    ["F8_E4M3", 0x08, 2 ** -6],
    ["F8_E4M3", 0x7f, NaN],
    ["F8_E4M3", 0x78, 256],
    ["F8_E5M2", 0x3c, 1],
    ["F8_E5M2", 0x7b, 57344],
    ["F8_E5M2", 0x01, 2 ** -16],
    ["F8_E5M2", 0x7c, Infinity],
    ["F8_E5M2", 0x7e, NaN],
  ];
  for (const [dtype, bits, value] of cases) {
    const size = SIZES[dtype];
    const data = new Uint8Array(size);
    if (size === 2) new DataView(data.buffer).setUint16(0, bits, true);
    else data[0] = bits;
    const file = makeFile(
      { x: { dtype, shape: [1], data_offsets: [0, size] } },
      data,
    );
    const got = loadSafetensors(file).get("x")!.item();
    assert(
      Object.is(got, value),
      `${dtype} 0x${bits.toString(16)}: got ${got}, expected ${value}`,
    );
  }
});

Deno.test({
  name: "safetensors: all 65536 F16 values match Float16Array",
  ignore:
    typeof (globalThis as Record<string, unknown>).Float16Array !== "function",
  fn() {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const file = makeFile(
      { h: { dtype: "F16", shape: [65536], data_offsets: [0, 131072] } },
      new Uint8Array(bits.buffer),
    );
    const Half = (globalThis as unknown as Record<
      string,
      new (b: ArrayBuffer) => ArrayLike<number>
    >)
      .Float16Array;
    sameValues(
      loadSafetensors(file).get("h")!.toFloat32Array(),
      Array.from(new Half(bits.buffer), Math.fround),
    );
  },
});

Deno.test("safetensors: F64 and wide integers round to the nearest float32", () => {
  const f64 = new Float64Array([0.1, 1e300, -1e-50, 2 ** 24 + 1]);
  const i64 = new BigInt64Array([-(2n ** 62n), 2n ** 24n + 1n, 7n]);
  const data = new Uint8Array([
    ...new Uint8Array(f64.buffer),
    ...new Uint8Array(i64.buffer),
  ]);
  const loaded = loadSafetensors(makeFile({
    d: { dtype: "F64", shape: [4], data_offsets: [0, 32] },
    q: { dtype: "I64", shape: [3], data_offsets: [32, 56] },
  }, data));
  sameValues(loaded.get("d")!.toFloat32Array(), [...f64].map(Math.fround));
  sameValues(loaded.get("q")!.toFloat32Array(), [-(2 ** 62), 2 ** 24, 7]);
});

Deno.test("safetensors: saveSafetensors validates its input", () => {
  const t = tensor([1]);
  assertThrows(
    () => saveSafetensors([["a", t], ["a", t]]),
    RangeError,
    'duplicate tensor name "a"',
  );
  assertThrows(
    () => saveSafetensors({ __metadata__: t }),
    RangeError,
    "reserved",
  );
  assertThrows(
    () => saveSafetensors({ a: [1, 2] as unknown as Tensor }),
    TypeError,
    'expected a Tensor for "a"',
  );
  assertThrows(
    () => saveSafetensors([[1, t]] as unknown as [string, Tensor][]),
    TypeError,
    "names must be strings",
  );
  assertThrows(
    () => saveSafetensors([t] as unknown as [string, Tensor][]),
    TypeError,
    "[name, tensor] pairs",
  );
  assertThrows(
    () => saveSafetensors(null as unknown as Record<string, Tensor>),
    TypeError,
  );
  assertThrows(
    () =>
      saveSafetensors({ a: t }, { metadata: { n: 1 as unknown as string } }),
    TypeError,
    "metadata values must be strings",
  );
  function* gen(): Generator<[string, Tensor]> {
    yield ["g", t];
  }
  assertEquals([...loadSafetensors(saveSafetensors(gen())).keys()], ["g"]);
});

// ---- hostile files, one per failure ----

const F32_6 = { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] };

function rejects(
  bytes: unknown,
  ErrorClass: new (...args: never[]) => Error,
  includes: string,
) {
  for (const fn of [loadSafetensors, readSafetensorsHeader]) {
    const e = assertThrows(
      () => fn(bytes as Uint8Array),
      ErrorClass as new () => Error,
      includes,
    );
    if (bytes instanceof Uint8Array) assert(isFormatError(e), e.message);
  }
}

Deno.test("safetensors: rejects a file too short for the length field", () => {
  rejects(new Uint8Array(0), RangeError, "fewer than the 8");
  rejects(new Uint8Array(7), RangeError, "fewer than the 8");
});

Deno.test("safetensors: rejects a header length beyond the file", () => {
  const good = makeFile({ a: F32_6 }, 24);
  const n = good.length - 8 - 24;
  rejects(
    makeFile({ a: F32_6 }, 24, BigInt(n + 25)),
    RangeError,
    "runs past the end",
  );
  rejects(makeFile("{}", 0, 3n), RangeError, "runs past the end");
});

Deno.test("safetensors: rejects a header length over 100 MB before reading it", () => {
  rejects(makeFile("{}", 0, 100_000_001n), RangeError, "exceeds the limit");
  rejects(makeFile("{}", 0, 2n ** 64n - 1n), RangeError, "exceeds the limit");
  rejects(makeFile("{}", 0, 2n ** 53n + 1n), RangeError, "9007199254740993");
});

Deno.test("safetensors: rejects headers that are not UTF-8 JSON objects", () => {
  const bad = makeFile("{}  ");
  bad[9] = 0xff;
  rejects(bad, SyntaxError, "not valid UTF-8");
  rejects(makeFile("{'a': 1}"), SyntaxError, "not JSON");
  rejects(makeFile(""), SyntaxError, "not JSON");
  rejects(makeFile("\ufeff{}"), SyntaxError, "not JSON");
  rejects(makeFile('{"a": 1} x'), SyntaxError, "not JSON");
  rejects(makeFile("[]"), TypeError, "must be a JSON object, got an array");
  rejects(makeFile("null"), TypeError, "must be a JSON object, got null");
  rejects(makeFile("42"), TypeError, "must be a JSON object");
  rejects(makeFile('"{}"'), TypeError, "must be a JSON object");
});

Deno.test("safetensors: rejects missing or wrong-typed fields", () => {
  for (const field of ["dtype", "shape", "data_offsets"]) {
    const entry: Record<string, unknown> = { ...F32_6 };
    delete entry[field];
    rejects(makeFile({ a: entry }, 24), TypeError, `missing field "${field}"`);
  }
  const cases: [unknown, string][] = [
    [{ ...F32_6, dtype: 4 }, "dtype must be a string"],
    [{ ...F32_6, shape: "2,3" }, "shape must be an array"],
    [{ ...F32_6, shape: null }, "shape must be an array"],
    [
      { ...F32_6, data_offsets: { 0: 0, 1: 24 } },
      "data_offsets must be an array",
    ],
    [{ ...F32_6, data_offsets: [0, 24, 48] }, "data_offsets must be an array"],
    [{ ...F32_6, data_offsets: [0] }, "data_offsets must be an array"],
    [null, "expected an object, got null"],
    [[F32_6], "expected an object, got an array"],
    [24, "expected an object, got 24"],
  ];
  for (const [entry, message] of cases) {
    rejects(makeFile({ a: entry }, 24), TypeError, message);
  }
  rejects(
    makeFile({ a: { ...F32_6, shape: [2, "3"] } }, 24),
    RangeError,
    'shape must hold integers in [0, 2147483647], got "3"',
  );
  rejects(
    makeFile({ a: { ...F32_6, data_offsets: ["0", 24] } }, 24),
    RangeError,
    "data_offsets must hold non-negative integers",
  );
  rejects(
    makeFile({ __metadata__: ["a"], a: F32_6 }, 24),
    TypeError,
    "__metadata__ must be an object",
  );
  rejects(
    makeFile({ __metadata__: { epoch: 3 }, a: F32_6 }, 24),
    TypeError,
    '__metadata__ values must be strings, got 3 for "epoch"',
  );
});

Deno.test("safetensors: rejects unknown dtypes", () => {
  for (
    const dtype of ["F128", "f32", "float32", "", "toString", "__proto__", "F4"]
  ) {
    rejects(
      makeFile({ a: { ...F32_6, dtype } }, 24),
      TypeError,
      "unknown or unsupported dtype",
    );
  }
});

Deno.test("safetensors: rejects negative, fractional and huge dims", () => {
  for (
    const dims of [
      "[-2, -3]",
      "[2, 1.5]",
      "[2, 3e20]",
      "[2, 1e400]",
      "[2147483648, 0]",
    ]
  ) {
    rejects(
      makeFile(
        `{"a":{"dtype":"F32","shape":${dims},"data_offsets":[0,24]}}`,
        24,
      ),
      RangeError,
      "shape must hold integers",
    );
  }
  // Dims that pass one by one but whose product dwarfs the file.
  const huge = 2 ** 31 - 1;
  rejects(
    makeFile({ a: { ...F32_6, shape: [huge, huge, huge, huge] } }, 24),
    RangeError,
    "needs more than 2^53 bytes",
  );
  rejects(
    makeFile({ a: { ...F32_6, data_offsets: [0, 2 ** 60] } }, 24),
    RangeError,
    "data_offsets must hold non-negative integers",
  );
  rejects(
    makeFile({ a: { ...F32_6, data_offsets: [-24, 0] } }, 24),
    RangeError,
    "data_offsets must hold non-negative integers",
  );
});

Deno.test("safetensors: rejects data offsets outside the data area", () => {
  rejects(
    makeFile({ a: { ...F32_6, data_offsets: [0, 28] } }, 24),
    RangeError,
    "run past the 24-byte data area",
  );
  rejects(
    makeFile({ a: { ...F32_6, data_offsets: [24, 0] } }, 24),
    RangeError,
    "end before they begin",
  );
  rejects(
    makeFile(
      { a: { ...F32_6, shape: [1000000], data_offsets: [0, 4000000] } },
      24,
    ),
    RangeError,
    "run past the 24-byte data area",
  );
});

Deno.test("safetensors: rejects overlaps, gaps and uncovered bytes", () => {
  const b = { dtype: "F32", shape: [2], data_offsets: [16, 24] };
  rejects(
    makeFile({ a: F32_6, b }, 24),
    RangeError,
    "overlap the previous tensor",
  );
  rejects(
    makeFile({ a: { ...F32_6, shape: [4], data_offsets: [0, 16] }, b }, 28),
    RangeError,
    "the tensors cover 24 bytes but the data area has 28",
  );
  rejects(
    makeFile({ a: { ...F32_6, shape: [2], data_offsets: [0, 8] }, b }, 24),
    RangeError,
    "leave a gap after byte 8",
  );
  rejects(
    makeFile({ b: { ...b, data_offsets: [4, 12] } }, 12),
    RangeError,
    "leave a gap after byte 0",
  );
  rejects(makeFile({}, 1), RangeError, "cover 0 bytes but the data area has 1");
  // Two tensors on the same bytes.
  rejects(makeFile({ a: F32_6, b: F32_6 }, 24), RangeError, "overlap");
});

Deno.test("safetensors: rejects a shape that does not fit the offsets", () => {
  rejects(
    makeFile({ a: { ...F32_6, shape: [2, 2] } }, 24),
    RangeError,
    'tensor "a": shape [2, 2] of F32 needs 16 bytes but data_offsets [0, 24] hold 24',
  );
  rejects(
    makeFile({ a: { ...F32_6, dtype: "F64" } }, 24),
    RangeError,
    "needs 48 bytes",
  );
  rejects(
    makeFile({ a: { ...F32_6, shape: [0, 3] } }, 24),
    RangeError,
    "needs 0 bytes",
  );
});

Deno.test("safetensors: rejects duplicate names and fields", () => {
  const entry = JSON.stringify(F32_6);
  rejects(
    makeFile(`{"a":${entry},"a":${entry}}`, 24),
    SyntaxError,
    'duplicate name "a"',
  );
  // The same name spelled with an escape is still the same name.
  rejects(
    makeFile(`{"a":${entry},"\\u0061":${entry}}`, 24),
    SyntaxError,
    'duplicate name "a"',
  );
  rejects(
    makeFile(
      `{"a":{"dtype":"F32","dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}`,
      24,
    ),
    SyntaxError,
    'duplicate field "dtype" in the header entry "a"',
  );
  rejects(
    makeFile(`{"__metadata__":{"k":"1","k":"2"},"a":${entry}}`, 24),
    SyntaxError,
    'duplicate field "k"',
  );
  // Same keys in different entries, and keys inside strings, are fine.
  const ok = makeFile(
    `{"__metadata__":{"dtype":"\\"a\\":"},"a":${entry},"b":{"dtype":"F32","shape":[0],"data_offsets":[24,24]}}`,
    24,
  );
  assertEquals([...loadSafetensors(ok).keys()], ["a", "b"]);
});

Deno.test("safetensors: rejects input that is not a Uint8Array", () => {
  const bytes = saveSafetensors({ a: tensor([1]) });
  for (
    const bad of [
      bytes.buffer,
      [...bytes],
      "abc",
      null,
      new DataView(bytes.buffer),
    ]
  ) {
    assertThrows(
      () => loadSafetensors(bad as unknown as Uint8Array),
      TypeError,
      "expects a Uint8Array",
    );
    assertThrows(
      () => readSafetensorsHeader(bad as unknown as Uint8Array),
      TypeError,
      "expects a Uint8Array",
    );
  }
});

// ---- random mutations of valid files ----

function mixedFile(): Uint8Array {
  const rnd = seededRandom(3);
  const specs: [string, string, number[]][] = [
    ["w.f16", "F16", [3, 2]],
    ["w.bf16", "BF16", [2, 2]],
    ["w.f64", "F64", [3]],
    ["w.f32", "F32", [2, 1, 2]],
    ["steps", "I64", []],
    ["mask", "BOOL", [4]],
    ["q", "F8_E4M3", [2, 2]],
    ["u", "U16", [3]],
    ["nothing", "F32", [0, 5]],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const data: number[] = [];
  for (const [name, dtype, shape] of specs) {
    const n = shape.reduce((p, d) => p * d, 1) * SIZES[dtype];
    header[name] = {
      dtype,
      shape,
      data_offsets: [data.length, data.length + n],
    };
    for (let i = 0; i < n; i++) data.push(Math.floor(rnd() * 256));
  }
  return makeFile(header, new Uint8Array(data));
}

function mutate(base: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rnd() * n);
  const n = Number(new DataView(base.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(base.subarray(8, 8 + n));
  const data = base.subarray(8 + n);
  switch (int(8)) {
    case 0: { // flip bits anywhere
      const out = base.slice();
      for (let k = 1 + int(4); k > 0; k--) out[int(out.length)] ^= 1 << int(8);
      return out;
    }
    case 1: { // overwrite header bytes
      const out = base.slice();
      for (let k = 1 + int(3); k > 0; k--) out[8 + int(n)] = int(256);
      return out;
    }
    case 2: // truncate
      return base.slice(0, int(base.length));
    case 3: { // append bytes
      const out = new Uint8Array(base.length + 1 + int(16));
      out.set(base);
      return out;
    }
    case 4: { // edit the length field
      const out = base.slice();
      const v = new DataView(out.buffer);
      const choices = [
        BigInt(n + int(9) - 4),
        BigInt(int(out.length + 16)),
        BigInt(Math.floor(rnd() * 2 ** 53)) * BigInt(1 + int(2048)),
        0n,
      ];
      v.setBigUint64(0, BigInt.asUintN(64, choices[int(choices.length)]), true);
      return out;
    }
    case 5: { // change one digit of the header text
      const digits = [...header.matchAll(/\d/g)];
      const m = digits[int(digits.length)];
      const text = header.slice(0, m.index) + String(int(10)) +
        header.slice(m.index! + 1);
      return makeFile(text, data);
    }
    case 6: { // structural edits of the parsed header
      const h = JSON.parse(header);
      const names = Object.keys(h).filter((k) => k !== "__metadata__");
      const name = names[int(names.length)];
      const e = h[name];
      const garbage = [-1, 0.5, 1e300, "x", null, [], {}, true, 2 ** 31, 7];
      switch (int(7)) {
        case 0:
          e.dtype = Object.keys(SIZES)[int(15)];
          break;
        case 1:
          e.shape = e.shape.length && rnd() < 0.5
            ? e.shape.slice(1)
            : [...e.shape, int(3)];
          break;
        case 2:
          e.data_offsets[int(2)] += int(17) - 8;
          break;
        case 3:
          delete e[["dtype", "shape", "data_offsets"][int(3)]];
          break;
        case 4:
          e[["dtype", "shape", "data_offsets"][int(3)]] =
            garbage[int(garbage.length)];
          break;
        case 5:
          h[names[int(names.length)]] = garbage[int(garbage.length)];
          break;
        case 6:
          h[`${name}.copy`] = { ...e };
          break;
      }
      return makeFile(JSON.stringify(h), data);
    }
    default: { // insert or delete a header character
      const at = int(header.length);
      const text = rnd() < 0.5
        ? header.slice(0, at) + header.slice(at + 1)
        : header.slice(0, at) + '{}[]",:0 \\'[int(10)] + header.slice(at);
      return makeFile(text, data);
    }
  }
}

Deno.test("safetensors: 6000 random mutations each load correctly or throw a clear Error", async () => {
  const bases = [
    mixedFile(),
    await Deno.readFile(new URL("overall.safetensors", FIXTURES)),
    saveSafetensors({ a: rand(3, 4), b: tensor(2), c: zeros(0) }, {
      metadata: { k: "v" },
    }),
  ];
  for (const base of bases) checkAgainstOracle(base, loadSafetensors(base));
  const rnd = seededRandom(20240607);
  let loaded = 0, rejected = 0;
  for (let i = 0; i < 6000; i++) {
    const bytes = mutate(bases[i % bases.length], rnd);
    let result: Map<string, Tensor> | undefined;
    try {
      result = loadSafetensors(bytes);
    } catch (e) {
      assert(isFormatError(e), `variant ${i}: unexpected ${e}`);
      rejected++;
      continue;
    }
    checkAgainstOracle(bytes, result);
    loaded++;
  }
  // Both outcomes must occur, or the mutations test nothing.
  assert(
    loaded > 100 && rejected > 1000,
    `loaded ${loaded}, rejected ${rejected}`,
  );
});

Deno.test("safetensors: a deeply nested header is rejected without overflowing the stack", () => {
  const depth = 200_000;
  const nested = "[".repeat(depth) + "]".repeat(depth);
  rejects(
    makeFile(`{"a":{"dtype":"F32","shape":${nested},"data_offsets":[0,0]}}`),
    RangeError,
    "shape must hold integers",
  );
  const objects = '{"k":'.repeat(depth) + "1" + "}".repeat(depth);
  rejects(makeFile(`{"a":${objects}}`), TypeError, 'missing field "dtype"');
});
