// A central-difference gradient check for every differentiable op, on random
// shapes drawn from a fixed seed, with broadcasting and non-contiguous
// inputs.
//
// For each case, L(x) = sum(f(x) * G) with a random G. The analytic gradient
// is what L.backward() leaves in each input's .grad; the numeric one is
// (L(x + h e_i) - L(x - h e_i)) / (2h) for every element i of every input.
//
// Tolerances, for float32: the forward pass rounds to float32 (eps = 6e-8),
// so L carries a rounding error around eps * |L| that the difference divides
// by 2h, while the central difference itself is off by about h^2 / 6 times
// the third derivative. h = 1e-2 keeps both near 1e-4 for inputs of order 1,
// and a wrong rule is off by far more, so we ask for agreement within 1e-2
// relative plus 1e-3 absolute. L is summed in float64 here (out * G), and
// the step is the float32 difference actually taken (x + h rounds).
// Inputs stay away from kinks (abs, relu, max/min, clamp: at least 0.05 from
// one, more than h) and positive where needed (log, sqrt, pow bases).
import {
  add,
  div,
  mul,
  noGrad,
  pow,
  sub,
  type Tensor,
  tensor,
} from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { seededRandom } from "../support/random.ts";

const H = 1e-2;
const RTOL = 1e-2;
const ATOL = 1e-3;

const random = seededRandom(20240611);

/** A random dim size in [2, 4]. */
const smallDim = () => 2 + Math.floor(random() * 3);
/** A random dim size in [5, 6]: every 2-D operand has more than 16 elements. */
const largeDim = () => 5 + Math.floor(random() * 2);

// ---- value generators ----

type Gen = (n: number) => number[];
const uniform = (lo: number, hi: number): Gen => (n) =>
  Array.from({ length: n }, () => lo + (hi - lo) * random());
/** Away from 0 by at least `gap`: |x| in [gap, hi]. */
const awayFromZero = (gap: number, hi: number): Gen => (n) =>
  Array.from(
    { length: n },
    () => (random() < 0.5 ? -1 : 1) * (gap + (hi - gap) * random()),
  );
/** Distinct values at least 0.1 apart (max/min pick a unique element). */
const distinct: Gen = (n) => {
  const v = Array.from(
    { length: n },
    (_, i) => (i - n / 2) * 0.15 + (random() - 0.5) * 0.05,
  );
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
};
/** Away from the clamp bounds -0.5 and 0.75 by at least 0.05. */
const clampSafe: Gen = (n) =>
  Array.from({ length: n }, () => {
    for (;;) {
      const x = -2 + 4 * random();
      if (Math.abs(x + 0.5) > 0.05 && Math.abs(x - 0.75) > 0.05) return x;
    }
  });

// ---- inputs ----

interface Input {
  shape: number[];
  gen: Gen;
  /** A non-contiguous leaf: its last two dims are stored transposed. */
  transposed?: boolean;
}

const inp = (shape: number[], gen: Gen = uniform(-2, 2)): Input => ({
  shape,
  gen,
});
const inpT = (shape: number[], gen: Gen = uniform(-2, 2)): Input => ({
  shape,
  gen,
  transposed: true,
});

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The leaf for `spec` over storage `data`. */
function build(spec: Input, data: Float32Array, requiresGrad: boolean): Tensor {
  if (!spec.transposed) {
    return tensor(data, { shape: spec.shape, requiresGrad });
  }
  const s = spec.shape;
  const stored = [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
  const leaf = tensor(data, { shape: stored }).transpose(-1, -2).detach();
  leaf.requiresGrad = requiresGrad;
  return leaf;
}

/** Storage offset of each logical (row-major) element of `t`. */
function offsets(t: Tensor): number[] {
  const shape = t.shape, strides = t.stride();
  const out: number[] = [];
  const walk = (d: number, off: number): void => {
    if (d === shape.length) {
      out.push(off);
      return;
    }
    for (let i = 0; i < shape[d]; i++) walk(d + 1, off + i * strides[d]);
  };
  walk(0, 0);
  return out;
}

interface Case {
  name: string;
  inputs: Input[];
  f: (...xs: Tensor[]) => Tensor;
}

function gradcheck(c: Case): void {
  const datas = c.inputs.map((s) => Float32Array.from(s.gen(size(s.shape))));
  // analytic: L = (f(x) * G).sum(), backward
  const leaves = c.inputs.map((s, k) => build(s, datas[k], true));
  if (c.inputs.some((s) => s.transposed)) {
    assert(leaves.some((l) => !l.isContiguous()), "a non-contiguous leaf");
  }
  const out = c.f(...leaves);
  const gData = Float32Array.from(uniform(-1, 1)(out.numel()));
  const G = tensor(gData, { shape: [...out.shape] });
  const L = out.mul(G).sum();
  L.backward();
  // numeric: central differences of L computed in float64 from f's output
  const lossAt = (): number =>
    noGrad(() => {
      const o = c.f(...c.inputs.map((s, k) => build(s, datas[k], false)))
        .toFloat32Array();
      let sum = 0;
      for (let j = 0; j < o.length; j++) sum += o[j] * gData[j];
      return sum;
    });
  for (let k = 0; k < leaves.length; k++) {
    const grad = leaves[k].grad;
    if (grad === null) {
      throw new Error(`${c.name}: no gradient reached input ${k}`);
    }
    assertEquals(grad.shape, leaves[k].shape, `${c.name}: grad ${k} shape`);
    const analytic = grad.toFloat32Array();
    const offs = offsets(leaves[k]);
    const data = datas[k];
    for (let p = 0; p < offs.length; p++) {
      const x = data[offs[p]];
      data[offs[p]] = x + H;
      const up = data[offs[p]];
      const lUp = lossAt();
      data[offs[p]] = x - H;
      const down = data[offs[p]];
      const lDown = lossAt();
      data[offs[p]] = x;
      const numeric = (lUp - lDown) / (up - down);
      const a = analytic[p];
      assert(
        Math.abs(a - numeric) <= ATOL + RTOL * Math.abs(numeric),
        `${c.name}: d/d input ${k} [${p}]: autograd ${a}, numeric ${numeric}`,
      );
    }
  }
}

// ---- the cases ----

/**
 * Every case, on shapes drawn with `dim`: small ones run on the host
 * kernels (at most 16 elements), larger ones in WebAssembly.
 */
function makeCases(dim: () => number): Case[] {
  const cases: Case[] = [];
  const m = dim(), n = dim(), p = dim(), q = dim();

  // binary elementwise ops under every broadcasting pattern
  const patterns: [string, (ga: Gen, gb: Gen) => Input[]][] = [
    ["same shape", (ga, gb) => [inp([m, n], ga), inp([m, n], gb)]],
    ["row broadcast", (ga, gb) => [inp([m, n], ga), inp([n], gb)]],
    ["row broadcast, swapped", (ga, gb) => [inp([n], ga), inp([m, n], gb)]],
    ["column broadcast", (ga, gb) => [inp([m, n], ga), inp([m, 1], gb)]],
    ["outer", (ga, gb) => [inp([m, 1], ga), inp([1, n], gb)]],
    ["0-d", (ga, gb) => [inp([m, n], ga), inp([], gb)]],
    ["0-d, swapped", (ga, gb) => [inp([], ga), inp([m, n], gb)]],
    ["3-d", (ga, gb) => [inp([p, 1, n], ga), inp([m, 1], gb)]],
    ["non-contiguous", (ga, gb) => [inpT([m, n], ga), inp([m, n], gb)]],
    [
      "non-contiguous, broadcast",
      (ga, gb) => [inpT([m, n], ga), inp([m, 1], gb)],
    ],
    [
      "broadcast against non-contiguous",
      (ga, gb) => [inp([n], ga), inpT([p, m, n], gb)],
    ],
  ];
  const binaryOps: [string, (a: Tensor, b: Tensor) => Tensor, Gen, Gen][] = [
    ["add", (a, b) => a.add(b), uniform(-2, 2), uniform(-2, 2)],
    ["sub", (a, b) => a.sub(b), uniform(-2, 2), uniform(-2, 2)],
    ["mul", (a, b) => a.mul(b), uniform(-2, 2), uniform(-2, 2)],
    ["div", (a, b) => a.div(b), uniform(-2, 2), awayFromZero(0.5, 2)],
    ["pow tensor^tensor", (a, b) => a.pow(b), uniform(0.5, 2), uniform(-2, 2)],
    // a is at least 0.2 from 0 and b within 0.1 of it: never a tie
    [
      "maximum",
      (a, b) => a.maximum(b),
      awayFromZero(0.2, 2),
      uniform(-0.1, 0.1),
    ],
    [
      "minimum",
      (a, b) => a.minimum(b),
      uniform(-0.1, 0.1),
      awayFromZero(0.2, 2),
    ],
  ];
  for (const [op, f, ga, gb] of binaryOps) {
    for (const [pattern, make] of patterns) {
      cases.push({ name: `${op} (${pattern})`, inputs: make(ga, gb), f });
    }
  }
  cases.push(
    {
      name: "add alpha",
      inputs: [inp([m, n]), inp([n])],
      f: (a, b) => a.add(b, { alpha: 0.5 }),
    },
    {
      name: "sub alpha",
      inputs: [inp([m, 1]), inp([m, n])],
      f: (a, b) => a.sub(b, { alpha: -2 }),
    },
    {
      name: "functional add alpha",
      inputs: [inp([m, n]), inp([m, n])],
      f: (a, b) => add(a, b, { alpha: 3 }),
    },
    {
      name: "maximum with a number",
      inputs: [inp([m, n], awayFromZero(0.2, 2))],
      f: (a) => a.maximum(0),
    },
    {
      name: "minimum with a number",
      inputs: [inp([m, n], awayFromZero(0.2, 2))],
      f: (a) => a.minimum(0),
    },
  );

  // a number on either side
  const scalarOps: [string, (a: Tensor) => Tensor, Gen][] = [
    ["add number", (a) => a.add(1.5), uniform(-2, 2)],
    ["add number alpha", (a) => a.add(1.5, { alpha: 2 }), uniform(-2, 2)],
    ["sub number", (a) => a.sub(0.5), uniform(-2, 2)],
    ["mul number", (a) => a.mul(-2.5), uniform(-2, 2)],
    ["div number", (a) => a.div(3), uniform(-2, 2)],
    ["pow tensor^scalar", (a) => a.pow(2.5), uniform(0.5, 2)],
    ["pow tensor^2 (negative bases)", (a) => a.pow(2), uniform(-2, 2)],
    ["pow tensor^-1.5", (a) => a.pow(-1.5), uniform(0.5, 2)],
    ["pow tensor^0", (a) => a.pow(0), uniform(0.5, 2)],
    ["pow scalar^tensor", (a) => pow(2, a), uniform(-2, 2)],
    ["pow 0.5^tensor", (a) => pow(0.5, a), uniform(-2, 2)],
    ["number - tensor", (a) => sub(2, a), uniform(-2, 2)],
    ["number - tensor, alpha", (a) => sub(2, a, { alpha: 3 }), uniform(-2, 2)],
    ["number / tensor", (a) => div(2, a), awayFromZero(0.5, 2)],
    ["number + tensor", (a) => add(2, a), uniform(-2, 2)],
    ["number * tensor", (a) => mul(-3, a), uniform(-2, 2)],
  ];
  for (const [name, f, g] of scalarOps) {
    cases.push({ name, inputs: [inp([m, n], g)], f });
    cases.push({
      name: `${name} (non-contiguous)`,
      inputs: [inpT([p, n], g)],
      f,
    });
  }

  // unary ops
  const unaryOps: [string, (a: Tensor) => Tensor, Gen][] = [
    ["neg", (a) => a.neg(), uniform(-2, 2)],
    ["exp", (a) => a.exp(), uniform(-2, 2)],
    ["log", (a) => a.log(), uniform(0.5, 3)],
    ["sqrt", (a) => a.sqrt(), uniform(0.5, 3)],
    ["abs", (a) => a.abs(), awayFromZero(0.05, 2)],
    ["relu", (a) => a.relu(), awayFromZero(0.05, 2)],
    ["sigmoid", (a) => a.sigmoid(), uniform(-3, 3)],
    ["tanh", (a) => a.tanh(), uniform(-2, 2)],
    ["clamp(min, max)", (a) => a.clamp(-0.5, 0.75), clampSafe],
    ["clamp(min)", (a) => a.clamp(-0.5), clampSafe],
    ["clamp(null, max)", (a) => a.clamp(null, 0.75), clampSafe],
  ];
  for (const [name, f, g] of unaryOps) {
    cases.push({ name, inputs: [inp([m, n, 2], g)], f });
    cases.push({
      name: `${name} (non-contiguous)`,
      inputs: [inpT([m, n], g)],
      f,
    });
    cases.push({ name: `${name} (0-d)`, inputs: [inp([], g)], f });
  }

  // matmul in every rank combination, with broadcast batches
  const k = dim();
  const matmulShapes: [string, number[], number[]][] = [
    ["1-D @ 1-D", [k], [k]],
    ["1-D @ 2-D", [k], [k, n]],
    ["2-D @ 1-D", [m, k], [k]],
    ["2-D @ 2-D", [m, k], [k, n]],
    ["1-D @ 3-D", [k], [p, k, n]],
    ["3-D @ 1-D", [p, m, k], [k]],
    ["3-D @ 3-D", [p, m, k], [p, k, n]],
    ["3-D @ 2-D", [p, m, k], [k, n]],
    ["2-D @ 3-D", [m, k], [p, k, n]],
    ["broadcast batch 4-D @ 3-D", [q, 1, m, k], [p, k, n]],
    ["broadcast batch [1, p] @ [q, 1]", [1, p, m, k], [q, 1, k, n]],
  ];
  for (const [name, sa, sb] of matmulShapes) {
    cases.push({
      name: `matmul ${name}`,
      inputs: [inp(sa), inp(sb)],
      f: (a, b) => a.matmul(b),
    });
  }
  cases.push(
    {
      name: "matmul, transposed operands",
      inputs: [inpT([m, k]), inpT([k, n])],
      f: (a, b) => a.matmul(b),
    },
    {
      name: "matmul a.t() @ b",
      inputs: [inp([k, m]), inp([k, n])],
      f: (a, b) => a.t().matmul(b),
    },
    {
      name: "matmul a @ a.t() (one input used twice)",
      inputs: [inp([m, k])],
      f: (a) => a.matmul(a.t()),
    },
    {
      name: "matmul batched, transposed",
      inputs: [inpT([p, m, k]), inp([p, k, n])],
      f: (a, b) => a.matmul(b),
    },
  );

  // reductions
  const r3 = [m, n, p];
  const reductions: [string, (a: Tensor) => Tensor, Gen?][] = [
    ["sum()", (a) => a.sum()],
    ["sum(1)", (a) => a.sum(1)],
    ["sum(-1, keepdim)", (a) => a.sum(-1, { keepdim: true })],
    ["sum([0, 1])", (a) => a.sum([0, 1])],
    ["sum([0, 2], keepdim)", (a) => a.sum([0, 2], { keepdim: true })],
    ["sum([0, 1, 2])", (a) => a.sum([0, 1, 2])],
    ["mean()", (a) => a.mean()],
    ["mean(0)", (a) => a.mean(0)],
    ["mean([0, 2])", (a) => a.mean([0, 2])],
    ["mean([1, 2], keepdim)", (a) => a.mean([1, 2], { keepdim: true })],
    ["max()", (a) => a.max(), distinct],
    ["min()", (a) => a.min(), distinct],
    ["max(1).values", (a) => a.max(1).values, distinct],
    [
      "max(-1, keepdim).values",
      (a) => a.max(-1, { keepdim: true }).values,
      distinct,
    ],
    ["min(0).values", (a) => a.min(0).values, distinct],
    [
      "min(2, keepdim).values",
      (a) => a.min(2, { keepdim: true }).values,
      distinct,
    ],
  ];
  for (const [name, f, g] of reductions) {
    cases.push({ name, inputs: [inp(r3, g)], f });
    cases.push({ name: `${name} (non-contiguous)`, inputs: [inpT(r3, g)], f });
  }
  cases.push(
    { name: "sum() of 0-d", inputs: [inp([])], f: (a) => a.sum() },
    { name: "mean(0) of 0-d", inputs: [inp([])], f: (a) => a.mean(0) },
    { name: "max(0) of 0-d", inputs: [inp([])], f: (a) => a.max(0).values },
  );

  // views and copies
  const views: [string, number[], (a: Tensor) => Tensor][] = [
    ["reshape(-1)", [m, n], (a) => a.reshape(-1)],
    ["reshape(n, m)", [m, n], (a) => a.reshape(n, m)],
    ["view(-1, 1)", [m, n], (a) => a.view(-1, 1)],
    ["transpose(0, 2)", [m, n, p], (a) => a.transpose(0, 2)],
    ["transpose(-1, -2)", [m, n, p], (a) => a.transpose(-1, -2)],
    ["permute(2, 0, 1)", [m, n, p], (a) => a.permute(2, 0, 1)],
    ["t()", [m, n], (a) => a.t()],
    ["t() of 1-D", [m], (a) => a.t()],
    ["unsqueeze(1)", [m, n], (a) => a.unsqueeze(1)],
    ["unsqueeze(-1)", [m, n], (a) => a.unsqueeze(-1)],
    ["squeeze()", [m, 1, n], (a) => a.squeeze()],
    ["squeeze(1)", [m, 1, n], (a) => a.squeeze(1)],
    ["expand", [m, 1], (a) => a.expand(p, m, n)],
    ["expand(-1, n)", [m, 1], (a) => a.expand(-1, n)],
    ["contiguous", [m, n], (a) => a.contiguous()],
    ["clone", [m, n], (a) => a.clone()],
    ["flatten", [m, n, p], (a) => a.flatten(1)],
  ];
  for (const [name, shape, f] of views) {
    cases.push({ name, inputs: [inp(shape)], f });
    // (view() of a transposed tensor is an error, tested in tensor_test.ts)
    const [r, c] = shape.slice(-2);
    if (shape.length >= 2 && r > 1 && c > 1 && !name.startsWith("view")) {
      cases.push({
        name: `${name} (non-contiguous)`,
        inputs: [inpT(shape)],
        f,
      });
    }
  }
  cases.push(
    {
      name: "reshape of a transposed view (copy)",
      inputs: [inp([m, n])],
      f: (a) => a.t().reshape(-1),
    },
    {
      name: "contiguous of a transposed view",
      inputs: [inp([m, n])],
      f: (a) => a.t().contiguous().mul(a.t()),
    },
    {
      name: "expand then reduce",
      inputs: [inp([n])],
      f: (a) => a.expand(m, n).mul(a).sum(0),
    },
  );

  // compositions: reuse, chains, broadcasting through several ops
  cases.push(
    { name: "x * x + x", inputs: [inp([m, n])], f: (x) => x.mul(x).add(x) },
    {
      name: "small MLP",
      inputs: [inp([m, k]), inp([k, n]), inp([n]), inp([n, 1])],
      f: (x, w1, b1, w2) => x.matmul(w1).add(b1).tanh().matmul(w2).sigmoid(),
    },
    {
      name: "softmax by hand",
      inputs: [inp([m, n])],
      f: (x) => {
        const e = x.exp();
        return e.div(e.sum(1, { keepdim: true }));
      },
    },
    {
      name: "squared error mean",
      inputs: [inp([m, 1]), inp([m, 1])],
      f: (y, t) => y.sub(t).pow(2).mean(),
    },
  );
  return cases;
}

for (
  const [label, dim] of [["small", smallDim], ["large", largeDim]] as const
) {
  for (const c of makeCases(dim)) {
    Deno.test(`gradcheck (${label}): ${c.name}`, () => gradcheck(c));
  }
}

Deno.test("gradcheck: the check fails on a wrong gradient", () => {
  // a deliberately wrong rule, through the same harness: d/dx x.sigmoid()
  // with the gradient replaced by exp (values differ by orders of magnitude)
  const wrong: Case = {
    name: "wrong",
    inputs: [inp([3])],
    f: (x) => {
      const y = x.sigmoid();
      // forward like sigmoid, backward like exp: y + (exp(x) - exp(x).detach())
      return y.detach().add(x.exp().sub(x.exp().detach()));
    },
  };
  let failed = false;
  try {
    gradcheck(wrong);
  } catch {
    failed = true;
  }
  assert(failed, "the harness must detect a wrong gradient");
});
