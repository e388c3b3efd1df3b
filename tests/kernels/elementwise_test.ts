// Elementwise kernels against a float64 reference computed here: every binary
// and unary op, at lengths that exercise the SIMD main loop and its scalar
// tail (0, 1, 3, 4, 5, 17, 1000), and on non-contiguous operands (transposed,
// permuted, expanded with stride 0, row/column broadcast, 0-d).
//
// Inputs are float32, so the reference is the float64 result on the same
// float32 values. Correctly rounded ops (+ - * / sqrt, and the exact ones)
// must match Math.fround(reference) bit for bit; libm ops may differ by a few
// units in the last place (ulps), with a per-op bound measured against
// PyTorch-level accuracy (glibc/Sleef are within 1-3 ulps too).
import { add, div, pow, sub, type Tensor, tensor } from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { seededRandom } from "../support/random.ts";

// ---- test data: a seeded generator, independent of the library's ----

const random = seededRandom(0x2545f491);

function uniform(n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---- the reference ----

/** One float32 ulp at the magnitude of `x`. */
function ulp(x: number): number {
  const f = Math.abs(Math.fround(x));
  if (f < 2 ** -126) return 2 ** -149;
  if (!Number.isFinite(f)) return Infinity;
  return 2 ** (Math.floor(Math.log2(f)) - 23);
}

/**
 * Asserts each `got[i]` is within `ulps` ulps of `ref[i]` (0: equal to
 * fround(ref[i]) exactly, signed zeros aside). NaN must match NaN and
 * infinities must be equal.
 */
function assertUlps(
  got: Float32Array,
  ref: ArrayLike<number>,
  ulps: number,
  what: string,
): void {
  assertEquals(got.length, ref.length, `${what}: length`);
  for (let i = 0; i < ref.length; i++) {
    const g = got[i], r = ref[i];
    if (Number.isNaN(r) || Number.isNaN(g) || !Number.isFinite(r)) {
      assert(
        Object.is(g, r) || (Number.isNaN(g) && Number.isNaN(r)) ||
          (g === r),
        `${what}[${i}]: got ${g}, expected ${r}`,
      );
      continue;
    }
    const ok = ulps === 0
      ? g === Math.fround(r)
      : Math.abs(g - r) <= ulps * ulp(r);
    assert(ok, `${what}[${i}]: got ${g}, expected ${r} (${ulps} ulps)`);
  }
}

/** NumPy broadcasting, written out independently of src/shape.ts. */
function broadcastRef(
  a: Float32Array,
  sa: readonly number[],
  b: Float32Array,
  sb: readonly number[],
  f: (x: number, y: number) => number,
): { shape: number[]; data: Float64Array } {
  const nd = Math.max(sa.length, sb.length);
  const pa = [...Array(nd - sa.length).fill(1), ...sa];
  const pb = [...Array(nd - sb.length).fill(1), ...sb];
  const shape = pa.map((d, i) => (d === 1 ? pb[i] : d));
  const n = size(shape);
  const data = new Float64Array(n);
  const idx = new Array(nd).fill(0);
  for (let k = 0; k < n; k++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < nd; d++) {
      ia = ia * pa[d] + (pa[d] === 1 ? 0 : idx[d]);
      ib = ib * pb[d] + (pb[d] === 1 ? 0 : idx[d]);
    }
    data[k] = f(a[ia], b[ib]);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape, data };
}

// ---- the ops ----

interface BinaryCase {
  name: string;
  op: (a: Tensor, b: Tensor) => Tensor;
  ref: (x: number, y: number) => number;
  ulps: number;
  /** Input ranges of a and b. */
  a: [number, number];
  b: [number, number];
}

const BINARY: BinaryCase[] = [
  {
    name: "add",
    op: (a, b) => a.add(b),
    ref: (x, y) => x + y,
    ulps: 0,
    a: [-10, 10],
    b: [-10, 10],
  },
  // alpha 0.5 and 2 scale exactly, so the result is still correctly rounded
  {
    name: "add alpha",
    op: (a, b) => a.add(b, { alpha: 0.5 }),
    ref: (x, y) => x + 0.5 * y,
    ulps: 0,
    a: [-10, 10],
    b: [-10, 10],
  },
  {
    name: "sub",
    op: (a, b) => a.sub(b),
    ref: (x, y) => x - y,
    ulps: 0,
    a: [-10, 10],
    b: [-10, 10],
  },
  {
    name: "sub alpha",
    op: (a, b) => sub(a, b, { alpha: 2 }),
    ref: (x, y) => x - 2 * y,
    ulps: 0,
    a: [-10, 10],
    b: [-10, 10],
  },
  {
    name: "mul",
    op: (a, b) => a.mul(b),
    ref: (x, y) => x * y,
    ulps: 0,
    a: [-10, 10],
    b: [-10, 10],
  },
  {
    name: "div",
    op: (a, b) => a.div(b),
    ref: (x, y) => x / y,
    ulps: 0,
    a: [-10, 10],
    b: [0.1, 10],
  },
  {
    name: "pow",
    op: (a, b) => a.pow(b),
    ref: Math.pow,
    ulps: 1,
    a: [0.01, 10],
    b: [-3, 3],
  },
  {
    name: "maximum",
    op: (a, b) => a.maximum(b),
    ref: Math.max,
    ulps: 0,
    a: [-10, 10],
    b: [-10, 10],
  },
  {
    name: "minimum",
    op: (a, b) => a.minimum(b),
    ref: Math.min,
    ulps: 0,
    a: [-10, 10],
    b: [-10, 10],
  },
];

interface UnaryCase {
  name: string;
  op: (a: Tensor) => Tensor;
  ref: (x: number) => number;
  ulps: number;
  range: [number, number];
}

const f = Math.fround;
const UNARY: UnaryCase[] = [
  {
    name: "neg",
    op: (a) => a.neg(),
    ref: (x) => -x,
    ulps: 0,
    range: [-10, 10],
  },
  { name: "abs", op: (a) => a.abs(), ref: Math.abs, ulps: 0, range: [-10, 10] },
  {
    name: "relu",
    op: (a) => a.relu(),
    ref: (x) => Math.max(x, 0),
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "sqrt",
    op: (a) => a.sqrt(),
    ref: Math.sqrt,
    ulps: 0,
    range: [0, 100],
  },
  { name: "exp", op: (a) => a.exp(), ref: Math.exp, ulps: 1, range: [-80, 80] },
  {
    name: "log",
    op: (a) => a.log(),
    ref: Math.log,
    ulps: 1,
    range: [1e-6, 1e6],
  },
  {
    name: "tanh",
    op: (a) => a.tanh(),
    ref: Math.tanh,
    ulps: 2,
    range: [-10, 10],
  },
  {
    name: "sigmoid",
    op: (a) => a.sigmoid(),
    ref: (x) => 1 / (1 + Math.exp(-x)),
    ulps: 3,
    range: [-80, 80],
  },
  {
    name: "clamp",
    op: (a) => a.clamp(-0.5, 2.25),
    ref: (x) => Math.min(Math.max(x, -0.5), 2.25),
    ulps: 0,
    range: [-3, 3],
  },
  {
    name: "clamp min",
    op: (a) => a.clamp(0.1),
    ref: (x) => Math.max(x, f(0.1)),
    ulps: 0,
    range: [-3, 3],
  },
  {
    name: "clamp max",
    op: (a) => a.clamp(null, -0.1),
    ref: (x) => Math.min(x, f(-0.1)),
    ulps: 0,
    range: [-3, 3],
  },
  // scalar operands are float32 in the kernel, as in PyTorch's float32 ops
  {
    name: "add scalar",
    op: (a) => a.add(0.1),
    ref: (x) => x + f(0.1),
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "add scalar alpha",
    op: (a) => a.add(3, { alpha: 0.5 }),
    ref: (x) => x + 1.5,
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "sub scalar",
    op: (a) => a.sub(0.3),
    ref: (x) => x - f(0.3),
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "mul scalar",
    op: (a) => a.mul(-1.7),
    ref: (x) => x * f(-1.7),
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "div scalar",
    op: (a) => a.div(3),
    ref: (x) => x / 3,
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "pow scalar",
    op: (a) => a.pow(2.5),
    ref: (x) => Math.pow(x, 2.5),
    ulps: 1,
    range: [0, 10],
  },
  {
    name: "pow scalar 2",
    op: (a) => a.pow(2),
    ref: (x) => x * x,
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "pow scalar -0.5",
    op: (a) => a.pow(-0.5),
    ref: (x) => Math.pow(x, -0.5),
    ulps: 1,
    range: [0.01, 10],
  },
  {
    name: "rsub",
    op: (a) => sub(1.5, a),
    ref: (x) => 1.5 - x,
    ulps: 0,
    range: [-10, 10],
  },
  {
    name: "rdiv",
    op: (a) => div(2, a),
    ref: (x) => 2 / x,
    ulps: 0,
    range: [0.1, 10],
  },
  {
    name: "rpow",
    op: (a) => pow(1.7, a),
    ref: (x) => Math.pow(f(1.7), x),
    ulps: 1,
    range: [-20, 20],
  },
  {
    name: "radd",
    op: (a) => add(0.25, a),
    ref: (x) => 0.25 + x,
    ulps: 0,
    range: [-10, 10],
  },
];

const LENGTHS = [0, 1, 3, 4, 5, 17, 1000];

function checkBinary(
  c: BinaryCase,
  a: Tensor,
  b: Tensor,
  what: string,
): void {
  // the operands' logical values, read by the (JS) strided reader
  const av = a.toFloat32Array(), bv = b.toFloat32Array();
  const ref = broadcastRef(av, a.shape, bv, b.shape, c.ref);
  const out = c.op(a, b);
  assertEquals(out.shape, ref.shape, `${c.name} ${what}: shape`);
  assertUlps(out.toFloat32Array(), ref.data, c.ulps, `${c.name} ${what}`);
}

function checkUnary(c: UnaryCase, a: Tensor, what: string): void {
  const av = a.toFloat32Array();
  const out = c.op(a);
  assertEquals(out.shape, a.shape, `${c.name} ${what}: shape`);
  assertUlps(
    out.toFloat32Array(),
    Array.from(av, c.ref),
    c.ulps,
    `${c.name} ${what}`,
  );
}

function input(shape: number[], range: [number, number]): Tensor {
  return tensor(uniform(size(shape), range[0], range[1]), { shape });
}

// Layouts of binary operands: each builds (a, b) with the given ranges.
type Build = (ra: [number, number], rb: [number, number]) => [Tensor, Tensor];
const LAYOUTS: Record<string, Build> = {
  "transposed a [5, 17]": (
    ra,
    rb,
  ) => [input([17, 5], ra).t(), input([5, 17], rb)],
  "both transposed [4, 3]": (
    ra,
    rb,
  ) => [input([3, 4], ra).t(), input([3, 4], rb).transpose(0, 1)],
  "permuted [5, 2, 3]": (
    ra,
    rb,
  ) => [
    input([2, 3, 5], ra).permute(2, 0, 1),
    input([3, 5, 2], rb).permute(1, 2, 0),
  ],
  "expanded rows (stride 0 outer)": (
    ra,
    rb,
  ) => [input([1, 17], ra).expand(6, 17), input([6, 17], rb)],
  "expanded cols (stride 0 inner)": (
    ra,
    rb,
  ) => [input([6, 17], ra), input([6, 1], rb).expand(6, 17)],
  "column broadcast [7, 1] op [7, 9]": (
    ra,
    rb,
  ) => [input([7, 1], ra), input([7, 9], rb)],
  "column broadcast [7, 9] op [7, 1]": (
    ra,
    rb,
  ) => [input([7, 9], ra), input([7, 1], rb)],
  "row broadcast [9] op [7, 9]": (
    ra,
    rb,
  ) => [input([9], ra), input([7, 9], rb)],
  "row broadcast [7, 9] op [9]": (
    ra,
    rb,
  ) => [input([7, 9], ra), input([9], rb)],
  "outer [5, 1] op [1, 6]": (ra, rb) => [input([5, 1], ra), input([1, 6], rb)],
  "3-d [5, 1, 3] op [4, 1]": (
    ra,
    rb,
  ) => [input([5, 1, 3], ra), input([4, 1], rb)],
  "0-d op [3, 5]": (ra, rb) => [input([], ra), input([3, 5], rb)],
  "[3, 5] op 0-d": (ra, rb) => [input([3, 5], ra), input([], rb)],
  "0-d op 0-d": (ra, rb) => [input([], ra), input([], rb)],
  "transposed op row broadcast": (
    ra,
    rb,
  ) => [input([9, 4], ra).t(), input([9], rb)],
  "expanded 0-d op transposed": (
    ra,
    rb,
  ) => [input([], ra).expand(4, 5), input([5, 4], rb).t()],
  "size-1 dims [1, 4, 1] op [4, 1]": (
    ra,
    rb,
  ) => [input([1, 4, 1], ra), input([4, 1], rb)],
  "empty [0, 3] op [3]": (ra, rb) => [input([0, 3], ra), input([3], rb)],
  "empty [2, 0] op [2, 1]": (ra, rb) => [input([2, 0], ra), input([2, 1], rb)],
};

for (const c of BINARY) {
  Deno.test(`binary ${c.name}: contiguous, every length`, () => {
    for (const n of LENGTHS) {
      checkBinary(c, input([n], c.a), input([n], c.b), `[${n}]`);
      // a multi-row contiguous block walks the same rows
      checkBinary(c, input([3, n], c.a), input([3, n], c.b), `[3, ${n}]`);
    }
  });
  Deno.test(`binary ${c.name}: non-contiguous and broadcast`, () => {
    for (const [what, build] of Object.entries(LAYOUTS)) {
      const [a, b] = build(c.a, c.b);
      checkBinary(c, a, b, what);
    }
    // a long strided row on both sides, past the SIMD width
    for (const n of LENGTHS) {
      checkBinary(
        c,
        input([n, 2], c.a).t(),
        input([n, 2], c.b).t(),
        `transposed [2, ${n}]`,
      );
      checkBinary(
        c,
        input([n, 1], c.a).t(),
        input([1, n], c.b),
        `[1, ${n}] of a column`,
      );
    }
  });
}

for (const c of UNARY) {
  Deno.test(`unary ${c.name}: contiguous, every length, non-contiguous`, () => {
    for (const n of LENGTHS) {
      checkUnary(c, input([n], c.range), `[${n}]`);
      checkUnary(c, input([n, 3], c.range).t(), `transposed [3, ${n}]`);
      checkUnary(c, input([1, n], c.range).expand(2, n), `expanded [2, ${n}]`);
      checkUnary(c, input([n, 1], c.range).expand(n, 4), `expanded [${n}, 4]`);
    }
    checkUnary(c, input([], c.range), "0-d");
    checkUnary(c, input([2, 3, 4], c.range).permute(2, 0, 1), "permuted");
    checkUnary(c, input([], c.range).expand(3, 5), "expanded 0-d");
  });
}

// ---- special values ----

const SPECIAL = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1,
  -1,
  2.5,
  -2.5,
  1e-30,
  3e38,
];

Deno.test("binary ops on special values follow IEEE (and PyTorch)", () => {
  // every pair, through the SIMD path (contiguous) and the scalar/strided one
  const n = SPECIAL.length;
  const av = new Float32Array(n * n), bv = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      av[i * n + j] = SPECIAL[i];
      bv[i * n + j] = SPECIAL[j];
    }
  }
  const a = tensor(av), b = tensor(bv);
  const aT = tensor(av, { shape: [n, n] }).t(),
    bT = tensor(bv, { shape: [n, n] }).t();
  // maximum/minimum propagate NaN, as torch.maximum/minimum do (Math.max too)
  const ops: [
    string,
    (x: Tensor, y: Tensor) => Tensor,
    (x: number, y: number) => number,
  ][] = [
    ["add", (x, y) => x.add(y), (x, y) => x + y],
    ["sub", (x, y) => x.sub(y), (x, y) => x - y],
    ["mul", (x, y) => x.mul(y), (x, y) => x * y],
    ["div", (x, y) => x.div(y), (x, y) => x / y],
    ["maximum", (x, y) => x.maximum(y), Math.max],
    ["minimum", (x, y) => x.minimum(y), Math.min],
  ];
  for (const [name, op, ref] of ops) {
    const expected = Array.from(av, (x, i) => ref(x, bv[i]));
    assertUlps(op(a, b).toFloat32Array(), expected, 0, `${name} special`);
    const expectedT = Array.from(
      aT.toFloat32Array(),
      (x, i) => ref(x, bT.toFloat32Array()[i]),
    );
    assertUlps(
      op(aT, bT).toFloat32Array(),
      expectedT,
      0,
      `${name} special, strided`,
    );
  }
  // pow. Known gap: C's powf (and so PyTorch) gives 1 for 1 ** NaN and
  // (±1) ** ±inf, where JavaScript and AssemblyScript give NaN; those pairs
  // are left out here. Everything else follows IEEE pow.
  const pw = a.pow(b).toFloat32Array();
  for (let i = 0; i < av.length; i++) {
    const c = Math.pow(av[i], bv[i]);
    if (Math.abs(av[i]) === 1 && !Number.isFinite(bv[i])) continue;
    assert(
      Object.is(pw[i], Math.fround(c)) ||
        (Number.isNaN(pw[i]) && Number.isNaN(c)) ||
        Math.abs(pw[i] - c) <= ulp(c),
      `pow(${av[i]}, ${bv[i]}): got ${pw[i]}, expected ${c}`,
    );
  }
});

Deno.test("unary ops on special values", () => {
  const x = tensor(SPECIAL);
  const run = (t: Tensor) => [...t.toFloat32Array()];
  const same = (got: number[], expected: number[], what: string) =>
    assertUlps(Float32Array.from(got), expected, 0, what);
  same(run(x.neg()), SPECIAL.map((v) => -v), "neg");
  same(run(x.abs()), SPECIAL.map(Math.abs), "abs");
  same(
    run(x.relu()),
    SPECIAL.map((v) => (Number.isNaN(v) ? NaN : Math.max(v, 0))),
    "relu (NaN propagates, as torch.relu)",
  );
  same(run(x.sqrt()), SPECIAL.map((v) => Math.fround(Math.sqrt(v))), "sqrt");
  same(
    run(x.exp()).slice(0, 8),
    SPECIAL.slice(0, 8).map((v) => Math.fround(Math.exp(v))),
    "exp",
  );
  same(run(x.log()).slice(0, 7), SPECIAL.slice(0, 7).map(Math.log), "log");
  same(run(x.tanh()).slice(0, 7), SPECIAL.slice(0, 7).map(Math.tanh), "tanh");
  same(run(x.sigmoid()).slice(0, 6), [
    NaN,
    1,
    0,
    0.5,
    0.5,
    Math.fround(1 / (1 + Math.exp(-1))),
  ], "sigmoid");
  same(
    run(x.clamp(-1, 1)),
    SPECIAL.map((v) => (Number.isNaN(v) ? NaN : Math.min(Math.max(v, -1), 1))),
    "clamp (NaN stays NaN)",
  );
  // exp overflows to inf and underflows to 0 as in float32
  same(run(tensor([89, -104]).exp()), [Infinity, 0], "exp range");
  same(
    run(tensor([0, -1, -0]).log()),
    [-Infinity, NaN, -Infinity],
    "log of 0 and -1",
  );
  same(run(tensor([-1]).sqrt()), [NaN], "sqrt(-1)");
  same(run(tensor([-2, -2, 0, 0]).pow(tensor([3, 0.5, 0, -1]))), [
    -8,
    NaN,
    1,
    Infinity,
  ], "pow edge cases");
  same(run(tensor([0, 2]).pow(0)), [1, 1], "x ** 0");
  same(run(tensor([1, -1, 0]).div(0)), [Infinity, -Infinity, NaN], "x / 0");
});

// exp, log and tanh run in float64 lanes in the kernels, sigmoid in float32
// lanes (assembly/elementwise.ts), with scalar forms for row tails and
// strided rows: over special and extreme values (overflow, subnormal
// results and arguments, tiny arguments where tanh(x) = x) each path must
// match the reference, and the paths must agree bit for bit. Tensors above
// TINY elements, so the kernels run.
const EXTREME = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1e-30,
  -1e-30,
  1e-7,
  -1e-7,
  3e-4,
  0.3465,
  -0.3466,
  1,
  -1,
  9,
  -9,
  20,
  -20,
  88.72,
  88.73,
  89,
  -87.3,
  -100,
  -103.9,
  -104,
  -150,
  200,
  -200,
  1e30,
  -1e30,
  3e38,
  -3e38,
  // for log: a subnormal, the smallest normal, both sides of sqrt(2), 1/2
  1e-45,
  1.1754944e-38,
  1.4142135,
  1.4142137,
  0.70710677,
  0.5,
  2,
  3e-8,
];

Deno.test("exp, log, sigmoid, tanh: extreme values, every path the same", () => {
  const n = 4 * EXTREME.length + 3; // a vector body and a scalar tail
  const values = Float32Array.from(
    { length: n },
    (_, i) => EXTREME[i % EXTREME.length],
  );
  // the same values in column 0 of [n, 2]: a row of stride 2 once transposed
  const pairs = new Float32Array(2 * n);
  values.forEach((v, i) => (pairs[2 * i] = v));
  const contiguous = tensor(values);
  const strided = tensor(pairs, { shape: [n, 2] }).t();
  const f = Math.fround;
  const cases: [
    string,
    (t: Tensor) => Tensor,
    (x: number) => number,
    number,
  ][] = [
    ["exp", (t) => t.exp(), (x) => f(Math.exp(x)), 1],
    ["tanh", (t) => t.tanh(), (x) => Math.tanh(x), 2],
    // log: 0, negatives, inf and NaN are set apart from the series
    ["log", (t) => t.log(), (x) => Math.log(x), 1],
    // 0 where PyTorch's float32 1 / (1 + e^-x) is (e^-x overflows float32)
    [
      "sigmoid",
      (t) => t.sigmoid(),
      (x) => (x <= -88.72283935546875 ? 0 : 1 / (1 + Math.exp(-x))),
      3,
    ],
  ];
  for (const [name, op, ref, ulps] of cases) {
    const got = op(contiguous).toFloat32Array();
    const row = op(strided).toFloat32Array().subarray(0, n);
    assertUlps(got, Array.from(values, ref), ulps, `${name} (vector and tail)`);
    for (let i = 0; i < n; i++) {
      assert(
        Object.is(got[i], row[i]),
        `${name}(${values[i]}): ${got[i]} contiguous, ${row[i]} strided`,
      );
    }
  }
});

Deno.test("outputs are new contiguous tensors; inputs are untouched", () => {
  const a = input([4, 6], [-1, 1]);
  const before = a.toFloat32Array();
  const t = a.t();
  const out = t.add(1);
  assert(out.isContiguous());
  assertEquals(out.stride(), [4, 1]);
  assertEquals([...a.toFloat32Array()], [...before]);
  const e = tensor([1, 2, 3]).expand(2, 3).mul(2);
  assertEquals(e.stride(), [3, 1]);
  assertEquals(e.toArray(), [[2, 4, 6], [2, 4, 6]]);
});

Deno.test("in-place ops match their out-of-place forms", () => {
  for (const n of LENGTHS) {
    const a = input([2, n], [-5, 5]), b = input([n], [-5, 5]);
    const sum = a.add(b, { alpha: -2 }).toFloat32Array();
    const prod = a.mul(b).toFloat32Array();
    const c1 = a.clone();
    c1.add_(b, { alpha: -2 });
    assertUlps(c1.toFloat32Array(), sum, 0, `add_ [2, ${n}]`);
    const c2 = a.clone();
    c2.mul_(b);
    assertUlps(c2.toFloat32Array(), prod, 0, `mul_ [2, ${n}]`);
    const c3 = a.clone();
    c3.sub_(0.5).mul_(4);
    assertUlps(
      c3.toFloat32Array(),
      a.sub(0.5).mul(4).toFloat32Array(),
      0,
      `scalar in place [2, ${n}]`,
    );
    const c4 = a.clone();
    c4.copy_(b.unsqueeze(0).t().t());
    assertUlps(
      c4.toFloat32Array(),
      b.expand(2, n).toFloat32Array(),
      0,
      `copy_ broadcast [2, ${n}]`,
    );
    const c5 = a.clone();
    c5.copy_(a.t().t().mul(3));
    assertUlps(
      c5.toFloat32Array(),
      a.mul(3).toFloat32Array(),
      0,
      `copy_ [2, ${n}]`,
    );
    c5.zero_();
    assert(c5.toFloat32Array().every((v) => Object.is(v, 0)), "zero_");
  }
  // copy_ from a transposed source into a contiguous target
  const src = input([3, 5], [-1, 1]);
  const dst = input([5, 3], [-1, 1]);
  dst.copy_(src.t());
  assertEquals([...dst.toFloat32Array()], [...src.t().toFloat32Array()]);
});
