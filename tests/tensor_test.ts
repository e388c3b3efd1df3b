// The Tensor's public surface: creation, metadata, views that share storage,
// reading values back, printing as PyTorch 1.13 prints, and the error cases,
// each of which must throw before anything is allocated or changed.
import {
  arange,
  full,
  linspace,
  manualSeed,
  matmul,
  memoryStats,
  noGrad,
  ones,
  rand,
  randn,
  tensor,
  zeros,
} from "../mod.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

/** Storages allocated while running `fn` (an error path must allocate none). */
function allocationsDuring(fn: () => unknown): number {
  const before = memoryStats().allocatedTensors;
  try {
    fn();
  } catch {
    // the caller asserts the error itself
  }
  return memoryStats().allocatedTensors - before;
}

/** Asserts `fn` throws `cls` mentioning `includes`, allocating nothing. */
function assertCleanThrow(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => Error,
  includes: string,
): void {
  assertThrows(fn, cls, includes);
  assertEquals(allocationsDuring(fn), 0, `${includes}: allocated`);
}

const f32 = (xs: number[]) => xs.map(Math.fround);

// ---- creation ----

Deno.test("tensor() from a number is 0-d", () => {
  const t = tensor(3.5);
  assertEquals(t.shape, []);
  assertEquals(t.ndim, 0);
  assertEquals(t.numel(), 1);
  assertEquals(t.item(), 3.5);
  assertEquals(t.toArray(), 3.5);
});

Deno.test("tensor() from nested arrays infers the shape", () => {
  const t = tensor([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]);
  assertEquals(t.shape, [2, 2, 3]);
  assertEquals(t.ndim, 3);
  assertEquals(t.numel(), 12);
  assertEquals([...t.toFloat32Array()], [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
  ]);
  assertEquals(t.toArray(), [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [
    10,
    11,
    12,
  ]]]);
  assertEquals(tensor([]).shape, [0]);
  assertEquals(tensor([[]]).shape, [1, 0]);
  assertEquals(tensor([[], []]).shape, [2, 0]);
});

Deno.test("tensor() rounds to float32 and copies its input", () => {
  const src = [0.1, 1 / 3];
  const t = tensor(src);
  assertEquals([...t.toFloat32Array()], f32([0.1, 1 / 3]));
  src[0] = 5;
  assertEquals(t.toFloat32Array()[0], Math.fround(0.1));
  const flat = new Float32Array([1, 2, 3, 4, 5, 6]);
  const u = tensor(flat, { shape: [2, 3] });
  flat[0] = 100;
  assertEquals(u.toArray(), [[1, 2, 3], [4, 5, 6]]);
});

Deno.test("tensor() from a Float32Array with and without { shape }", () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  assertEquals(tensor(data).shape, [6]);
  assertEquals(tensor(data, { shape: [3, 2] }).toArray(), [[1, 2], [3, 4], [
    5,
    6,
  ]]);
  assertEquals(tensor(data, { shape: [1, 6, 1] }).shape, [1, 6, 1]);
  assertEquals(tensor(new Float32Array([7]), { shape: [] }).shape, []);
  assertEquals(tensor(new Float32Array(0), { shape: [0, 4] }).shape, [0, 4]);
  // a flat array with a shape, and nested data reshaped
  assertEquals(tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray(), [[1, 2], [
    3,
    4,
  ]]);
});

Deno.test("tensor() options: requiresGrad", () => {
  const t = tensor([1, 2], { requiresGrad: true });
  assert(t.requiresGrad);
  assert(t.isLeaf);
  assertEquals(t.grad, null);
  assertEquals(t.gradFn, null);
  assert(!tensor([1, 2]).requiresGrad);
});

Deno.test("zeros / ones / full take varargs or an array", () => {
  for (const t of [zeros(2, 3), zeros([2, 3])]) {
    assertEquals(t.shape, [2, 3]);
    assertEquals([...t.toFloat32Array()], [0, 0, 0, 0, 0, 0]);
  }
  for (const t of [ones(3, 1, 2), ones([3, 1, 2])]) {
    assertEquals(t.shape, [3, 1, 2]);
    assert(t.toFloat32Array().every((v) => v === 1));
  }
  const f = full([2, 2], 7.25);
  assertEquals(f.toArray(), [[7.25, 7.25], [7.25, 7.25]]);
  assertEquals(full([], -1).shape, []);
  assertEquals(zeros([0]).numel(), 0);
  assertEquals(ones(4, 0).shape, [4, 0]);
  const r = zeros(2, { requiresGrad: true });
  assert(r.requiresGrad);
  assert(ones([2], { requiresGrad: true }).requiresGrad);
  assert(full([1], 2, { requiresGrad: true }).requiresGrad);
});

Deno.test("arange matches torch.arange", () => {
  // torch.arange(5), torch.arange(1, 4), torch.arange(1, 2.5, 0.5)
  assertEquals([...arange(5).toFloat32Array()], [0, 1, 2, 3, 4]);
  assertEquals([...arange(1, 4).toFloat32Array()], [1, 2, 3]);
  assertEquals([...arange(1, 2.5, 0.5).toFloat32Array()], [1, 1.5, 2]);
  assertEquals([...arange(0, -1, -0.25).toFloat32Array()], [
    0,
    -0.25,
    -0.5,
    -0.75,
  ]);
  // the length is ceil((end - start) / step) in float64, as PyTorch
  // computes it: (1.3 - 1) / 0.1 = 3.0000000000000004, so four values
  assertEquals(
    [...arange(1, 1.3, 0.1).toFloat32Array()],
    f32([1, 1.1, 1.2, 1.3000000000000003]),
  );
  assertEquals(arange(0, 1, 0.1).numel(), 10);
  assertEquals(arange(3, 3).numel(), 0);
  assertEquals(
    arange(0, 1, 0.1).toString(),
    "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,\n        0.9000])",
  );
  assertThrows(
    () => arange(0, 1, -0.25),
    RangeError,
    "inconsistent with step sign",
  );
  assertThrows(() => arange(0, 1, 0), RangeError, "step must be nonzero");
  assertThrows(() => arange(0, Infinity), RangeError, "unsupported range");
});

Deno.test("linspace matches torch.linspace", () => {
  // the examples of torch.linspace's documentation
  assertEquals([...linspace(3, 10, 5).toFloat32Array()], [
    3,
    4.75,
    6.5,
    8.25,
    10,
  ]);
  assertEquals([...linspace(-10, 10, 5).toFloat32Array()], [-10, -5, 0, 5, 10]);
  assertEquals([...linspace(-10, 10, 1).toFloat32Array()], [-10]);
  assertEquals(linspace(0, 1, 0).shape, [0]);
  // both ends exact, and every value within an ulp of the ideal one
  const n = 7;
  const l = linspace(-1.3, 2.9, n).toFloat32Array();
  assertEquals(l[0], Math.fround(-1.3));
  assertEquals(l[n - 1], Math.fround(2.9));
  for (let i = 0; i < n; i++) {
    const ideal = -1.3 + (4.2 * i) / (n - 1);
    assert(Math.abs(l[i] - ideal) <= 2.5e-7 * 3, `linspace[${i}] = ${l[i]}`);
  }
  assertEquals(
    linspace(3, 10, 5).toString(),
    "tensor([ 3.0000,  4.7500,  6.5000,  8.2500, 10.0000])",
  );
  assertThrows(() => linspace(0, 1, -1), RangeError, "non-negative");
});

Deno.test("rand is uniform in [0, 1) and reproducible with manualSeed", () => {
  manualSeed(1234);
  const a = rand(100000).toFloat32Array();
  let mean = 0;
  for (const v of a) {
    assert(v >= 0 && v < 1, `rand value ${v}`);
    mean += v;
  }
  mean /= a.length;
  let variance = 0;
  for (const v of a) variance += (v - mean) ** 2;
  variance /= a.length;
  // standard errors: mean 0.0009, variance 0.0003
  assert(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
  manualSeed(1234);
  assertEquals([...rand(100000).toFloat32Array()], [...a]);
  manualSeed(1235);
  const b = rand(100).toFloat32Array();
  assert(b.some((v, i) => v !== a[i]), "another seed gives another stream");
  assertEquals(rand(2, 3).shape, [2, 3]);
  assertEquals(rand([4]).shape, [4]);
  assert(rand(2, { requiresGrad: true }).requiresGrad);
});

Deno.test("randn has mean 0 and std 1, reproducible with manualSeed", () => {
  manualSeed(7);
  const n = 200001; // odd, so the last Box-Muller pair is half used
  const a = randn(n).toFloat32Array();
  let mean = 0;
  for (const v of a) {
    assert(Number.isFinite(v));
    mean += v;
  }
  mean /= n;
  let variance = 0;
  for (const v of a) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / n);
  // standard errors: mean 0.0022, std 0.0016
  assert(Math.abs(mean) < 0.012, `mean ${mean}`);
  assert(Math.abs(std - 1) < 0.01, `std ${std}`);
  // tails exist but are not absurd
  let beyond2 = 0;
  for (const v of a) if (Math.abs(v) > 2) beyond2++;
  assert(Math.abs(beyond2 / n - 0.0455) < 0.003, `P(|z| > 2) ${beyond2 / n}`);
  manualSeed(7);
  assertEquals([...randn(n).toFloat32Array()], [...a]);
  assertEquals(randn(3, 4).shape, [3, 4]);
  assertEquals(randn([2, 1, 2]).shape, [2, 1, 2]);
});

// ---- metadata and views ----

Deno.test("shape, ndim, numel, size, stride", () => {
  const t = zeros(2, 3, 4);
  assertEquals(t.shape, [2, 3, 4]);
  assertEquals(t.ndim, 3);
  assertEquals(t.numel(), 24);
  assertEquals(t.size(), [2, 3, 4]);
  assertEquals(t.size(-1), 4);
  assertEquals(t.stride(), [12, 4, 1]);
  assert(t.isContiguous());
  const p = t.permute(2, 0, 1);
  assertEquals(p.shape, [4, 2, 3]);
  assertEquals(p.stride(), [1, 12, 4]);
  assert(!p.isContiguous());
});

Deno.test("views share storage: in-place writes show through every view", () => {
  const w = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const views = {
    t: w.t(),
    transpose: w.transpose(0, 1),
    view: w.view(3, 2),
    reshape: w.reshape(-1),
    unsqueeze: w.unsqueeze(1),
    permute: w.permute(1, 0),
    expand: w.unsqueeze(0).expand(2, 2, 3),
  };
  noGrad(() => w.fill_(7));
  for (const [name, v] of Object.entries(views)) {
    assert(v.toFloat32Array().every((x) => x === 7), `${name} sees fill_`);
  }
  noGrad(() => w.copy_(tensor([10, 20, 30])));
  assertEquals(views.t.toArray(), [[10, 10], [20, 20], [30, 30]]);
  assertEquals(views.view.toArray(), [[10, 20], [30, 10], [20, 30]]);
  assertEquals(views.expand.toArray(), [
    [[10, 20, 30], [10, 20, 30]],
    [[10, 20, 30], [10, 20, 30]],
  ]);
  // and the other way: writing through a (contiguous) view changes the base
  const base = zeros(6);
  const v = base.view(2, 3);
  v.fill_(2);
  v.add_(tensor([1, 2, 3]));
  assertEquals([...base.toFloat32Array()], [3, 4, 5, 3, 4, 5]);
  const u = base.unsqueeze(0);
  u.mul_(2);
  assertEquals([...base.toFloat32Array()], [6, 8, 10, 6, 8, 10]);
});

Deno.test("reshape / view with -1", () => {
  const a = arange(24);
  assertEquals(a.reshape(2, -1, 4).shape, [2, 3, 4]);
  assertEquals(a.view(-1, 6).shape, [4, 6]);
  assertEquals(a.view([2, 3, -1]).shape, [2, 3, 4]);
  assertEquals(a.reshape([-1]).shape, [24]);
  assertEquals(
    a.reshape(4, 6).reshape(6, 4).toFloat32Array(),
    a.toFloat32Array(),
  );
  assertEquals(tensor(5).view(1).shape, [1]);
  assertEquals(tensor(5).reshape(1, 1).toArray(), [[5]]);
  assertEquals(tensor([5]).view([]).shape, []);
  assertEquals(zeros(0, 3).view(3, 0).shape, [3, 0]);
  assertEquals(zeros(0, 3).reshape(-1).shape, [0]);
  assertThrows(
    () => a.reshape(-1, -1),
    RangeError,
    "only one dimension can be inferred",
  );
  assertThrows(
    () => a.view(5, -1),
    RangeError,
    "shape '[5, -1]' is invalid for input of size 24",
  );
  assertThrows(
    () => a.reshape(5, 5),
    RangeError,
    "shape '[5, 5]' is invalid for input of size 24",
  );
  assertThrows(
    () => a.reshape(2.5, -1),
    RangeError,
    "invalid shape dimension 2.5",
  );
  assertThrows(() => a.view(-2, 12), RangeError, "invalid shape dimension -2");
});

Deno.test("view of a non-contiguous tensor fails; reshape copies", () => {
  const a = arange(6).reshape(2, 3);
  const t = a.t(); // [3, 2], strides [1, 3]
  assertCleanThrow(
    () => t.view(6),
    RangeError,
    "view size is not compatible with input tensor's size and stride",
  );
  assertThrows(() => t.view(-1), RangeError, "Use .reshape(...) instead");
  const r = t.reshape(6);
  assertEquals([...r.toFloat32Array()], [0, 3, 1, 4, 2, 5]);
  a.fill_(-1);
  assertEquals([...r.toFloat32Array()], [0, 3, 1, 4, 2, 5], "reshape copied");
  // a view is still possible where dims only split or merge within a run
  const b = arange(24).reshape(2, 3, 4).permute(1, 0, 2); // [3, 2, 4]
  assertEquals(b.view(3, 2, 2, 2).shape, [3, 2, 2, 2]);
  assertThrows(() => b.view(6, 4), RangeError, "view size is not compatible");
  const e = tensor([1, 2, 3]).expand(2, 3);
  assertEquals(e.view(2, 1, 3).stride(), [0, 3, 1]);
});

Deno.test("transpose, permute, t with negative dims", () => {
  const a = arange(24).reshape(2, 3, 4);
  const b = a.transpose(-1, 0);
  assertEquals(b.shape, [4, 3, 2]);
  const p = a.permute(-1, 0, 1);
  assertEquals(p.shape, [4, 2, 3]);
  assertEquals(a.permute([2, 0, 1]).toArray(), p.toArray());
  // element [i, j, k] of a is 12 i + 4 j + k
  const pa = p.toArray() as number[][][];
  const ba = b.toArray() as number[][][];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < 4; k++) {
        assertEquals(pa[k][i][j], 12 * i + 4 * j + k);
        assertEquals(ba[k][j][i], 12 * i + 4 * j + k);
      }
    }
  }
  const m = tensor([[1, 2, 3], [4, 5, 6]]);
  assertEquals(m.t().toArray(), [[1, 4], [2, 5], [3, 6]]);
  assertEquals(m.t().t().toArray(), m.toArray());
  assertEquals(m.transpose(1, 1).toArray(), m.toArray());
  assertEquals(tensor([1, 2]).t().toArray(), [1, 2]);
  assertEquals(tensor(3).t().shape, []);
  assertCleanThrow(
    () => a.t(),
    RangeError,
    "t() expects a tensor with <= 2 dimensions, but self is 3D",
  );
  assertCleanThrow(
    () => a.transpose(0, 3),
    RangeError,
    "Dimension out of range (expected to be in range of [-3, 2], but got 3)",
  );
  assertCleanThrow(() => a.transpose(-4, 0), RangeError, "but got -4");
  assertCleanThrow(
    () => a.permute(0, 1),
    RangeError,
    "input.dim() = 3 is not equal to len(dims) = 2",
  );
  assertCleanThrow(() => a.permute(0, 1, 1), RangeError, "duplicate dims");
  assertCleanThrow(
    () => a.permute(0, 1, -1 - 3),
    RangeError,
    "Dimension out of range",
  );
});

Deno.test("unsqueeze, squeeze with negative dims", () => {
  const a = zeros(2, 1, 3);
  assertEquals(a.unsqueeze(0).shape, [1, 2, 1, 3]);
  assertEquals(a.unsqueeze(-1).shape, [2, 1, 3, 1]);
  assertEquals(a.unsqueeze(3).shape, [2, 1, 3, 1]);
  assertEquals(a.unsqueeze(-4).shape, [1, 2, 1, 3]);
  assertEquals(a.squeeze().shape, [2, 3]);
  assertEquals(a.squeeze(1).shape, [2, 3]);
  assertEquals(a.squeeze(-2).shape, [2, 3]);
  assertEquals(a.squeeze(0).shape, [2, 1, 3], "a dim of size != 1 stays");
  assertEquals(zeros(1, 1).squeeze().shape, []);
  assertEquals(tensor(4).unsqueeze(0).toArray(), [4]);
  assertEquals(tensor(4).unsqueeze(-1).shape, [1]);
  assertEquals(tensor(4).squeeze().shape, []);
  assertEquals(tensor(4).squeeze(0).shape, []);
  const v = tensor([1, 2, 3]).unsqueeze(1);
  assertEquals(v.toArray(), [[1], [2], [3]]);
  assertCleanThrow(
    () => a.unsqueeze(4),
    RangeError,
    "expected to be in range of [-4, 3], but got 4",
  );
  assertCleanThrow(
    () => a.squeeze(3),
    RangeError,
    "expected to be in range of [-3, 2], but got 3",
  );
});

Deno.test("expand broadcasts with stride 0; -1 keeps a dim", () => {
  const a = tensor([[1], [2]]);
  const e = a.expand(3, 2, 4);
  assertEquals(e.shape, [3, 2, 4]);
  assertEquals(e.stride(), [0, 1, 0]);
  assertEquals(e.toArray(), [
    [[1, 1, 1, 1], [2, 2, 2, 2]],
    [[1, 1, 1, 1], [2, 2, 2, 2]],
    [[1, 1, 1, 1], [2, 2, 2, 2]],
  ]);
  assertEquals(a.expand(-1, 3).shape, [2, 3]);
  assertEquals(a.expand([2, 0]).shape, [2, 0]);
  assertEquals(a.expandAs(zeros(2, 5)).shape, [2, 5]);
  assertEquals(tensor(3).expand(2).toArray(), [3, 3]);
  assertCleanThrow(
    () => a.expand(3, 3),
    RangeError,
    "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0",
  );
  assertCleanThrow(
    () => a.expand(2),
    RangeError,
    "the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)",
  );
  assertCleanThrow(
    () => a.expand(-1, 2, 2),
    RangeError,
    "-1 is not allowed in a leading, non-existing dimension 0",
  );
});

Deno.test("contiguous and clone", () => {
  const a = arange(6).reshape(2, 3);
  assert(a.contiguous() === a, "contiguous() of a contiguous tensor is itself");
  const t = a.t();
  const c = t.contiguous();
  assert(c.isContiguous());
  assertEquals(c.stride(), [2, 1]);
  assertEquals(c.toArray(), t.toArray());
  const k = a.clone();
  assert(k !== a);
  assertEquals(k.toArray(), a.toArray());
  a.fill_(9);
  assertEquals(k.toArray(), [[0, 1, 2], [3, 4, 5]], "clone has its own data");
  assertEquals(c.toArray(), [[0, 3], [1, 4], [2, 5]], "contiguous copied");
  const e = tensor([1, 2]).expand(3, 2).clone();
  assertEquals(e.stride(), [2, 1]);
  assertEquals(e.toArray(), [[1, 2], [1, 2], [1, 2]]);
});

Deno.test("flatten", () => {
  const a = zeros(2, 3, 4);
  assertEquals(a.flatten().shape, [24]);
  assertEquals(a.flatten(1).shape, [2, 12]);
  assertEquals(a.flatten(0, 1).shape, [6, 4]);
  assertEquals(a.flatten(-2, -1).shape, [2, 12]);
  assertEquals(tensor(1).flatten().shape, [1]);
  assertThrows(
    () => a.flatten(2, 1),
    RangeError,
    "start_dim cannot come after end_dim",
  );
});

// ---- reading ----

Deno.test("toArray / toFloat32Array / item", () => {
  const a = tensor([[1, 2], [3, 4]]);
  assertEquals(a.toArray(), [[1, 2], [3, 4]]);
  assertEquals(a.t().toArray(), [[1, 3], [2, 4]]);
  const f = a.t().toFloat32Array();
  assert(f instanceof Float32Array);
  assertEquals([...f], [1, 3, 2, 4]);
  f[0] = 99;
  assertEquals(a.toArray(), [[1, 2], [3, 4]], "toFloat32Array returns a copy");
  const g = a.toFloat32Array();
  g[0] = 99;
  assertEquals(a.item === undefined, false);
  assertEquals(a.toArray(), [[1, 2], [3, 4]], "a contiguous copy too");
  assertEquals(tensor(2.5).item(), 2.5);
  assertEquals(tensor([[[-4]]]).item(), -4);
  assertEquals(tensor([1, 2, 3]).expand(2, 3).toArray(), [[1, 2, 3], [
    1,
    2,
    3,
  ]]);
  assertEquals(zeros(2, 0).toArray(), [[], []]);
  assertEquals(zeros(0, 2).toArray(), []);
  assertCleanThrow(
    () => a.item(),
    RangeError,
    "item() needs a tensor with one element, got shape [2, 2]",
  );
  assertThrows(() => zeros(0).item(), RangeError, "got shape [0]");
});

// ---- printing (expected strings: PyTorch 1.13's repr, with our suffix names) ----

Deno.test("toString: integer mode", () => {
  assertEquals(tensor([[8]]).toString(), "tensor([[8.]])");
  assertEquals(tensor(2).toString(), "tensor(2.)");
  assertEquals(tensor([1, 2, 3]).toString(), "tensor([1., 2., 3.])");
  assertEquals(tensor([-1, 2]).toString(), "tensor([-1.,  2.])");
  assertEquals(tensor([0, 0]).toString(), "tensor([0., 0.])");
  assertEquals(tensor(-0).toString(), "tensor(-0.)");
  assertEquals(
    tensor([[1, 10], [100, -5]]).toString(),
    "tensor([[  1.,  10.],\n        [100.,  -5.]])",
  );
  assertEquals(
    tensor([-10, -5, 0, 5, 10]).toString(),
    "tensor([-10.,  -5.,   0.,   5.,  10.])",
  );
  // integers spanning more than 1000x, or above 1e8, switch to sci mode
  assertEquals(
    tensor([1, 2000]).toString(),
    "tensor([1.0000e+00, 2.0000e+03])",
  );
  assertEquals(tensor([1e9]).toString(), "tensor([1.0000e+09])");
  assertEquals(tensor([1, 1000]).toString(), "tensor([   1., 1000.])");
});

Deno.test("toString: fixed mode", () => {
  assertEquals(tensor([1.5, 2.25]).toString(), "tensor([1.5000, 2.2500])");
  assertEquals(tensor(3.5).toString(), "tensor(3.5000)");
  assertEquals(tensor([0.1, 0.2]).toString(), "tensor([0.1000, 0.2000])");
  assertEquals(tensor([-1.5, 2]).toString(), "tensor([-1.5000,  2.0000])");
  assertEquals(
    tensor([[0.5, -12.125], [3, 0]]).toString(),
    "tensor([[  0.5000, -12.1250],\n        [  3.0000,   0.0000]])",
  );
  assertEquals(tensor([1.23456789]).toString(), "tensor([1.2346])");
  // -0 keeps its sign, as Python prints it, and does not widen the columns
  assertEquals(tensor([-0, 1.5]).toString(), "tensor([-0.0000, 1.5000])");
  assertEquals(
    tensor([-0, 1e-5]).toString(),
    "tensor([-0.0000e+00, 1.0000e-05])",
  );
  // Python rounds exact ties to even: 0.03125 -> 0.0312
  assertEquals(
    tensor([0.03125, -0.09375, 1]).toString(),
    "tensor([ 0.0312, -0.0938,  1.0000])",
  );
});

Deno.test("toString: scientific mode", () => {
  assertEquals(
    tensor([1e-5, 1]).toString(),
    "tensor([1.0000e-05, 1.0000e+00])",
  );
  assertEquals(
    tensor([1e10, 1]).toString(),
    "tensor([1.0000e+10, 1.0000e+00])",
  );
  assertEquals(
    tensor([123456.5, 1]).toString(),
    "tensor([1.2346e+05, 1.0000e+00])",
  );
  assertEquals(
    tensor([0.5, 1000.5]).toString(),
    "tensor([5.0000e-01, 1.0005e+03])",
  );
  assertEquals(
    tensor([-2e-5, 0, 3]).toString(),
    "tensor([-2.0000e-05,  0.0000e+00,  3.0000e+00])",
  );
  assertEquals(tensor(1e-7).toString(), "tensor(1.0000e-07)");
  // an exact tie rounds to even here too: 1.03125 -> 1.0312
  assertEquals(
    tensor([1.03125, 1e-5]).toString(),
    "tensor([1.0312e+00, 1.0000e-05])",
  );
});

Deno.test("toString: nan and inf do not widen the columns", () => {
  assertEquals(tensor([NaN, 1]).toString(), "tensor([nan, 1.])");
  assertEquals(
    tensor([Infinity, -Infinity, 1.5]).toString(),
    "tensor([   inf,   -inf, 1.5000])",
  );
  assertEquals(tensor([NaN, Infinity]).toString(), "tensor([nan, inf])");
  assertEquals(tensor(NaN).toString(), "tensor(nan)");
});

Deno.test("toString: 0-d, empty, nested 3-d", () => {
  assertEquals(zeros([]).toString(), "tensor(0.)");
  assertEquals(zeros(0).toString(), "tensor([])");
  assertEquals(zeros(0, 3).toString(), "tensor([], size=(0, 3))");
  assertEquals(zeros(2, 0, 1).toString(), "tensor([], size=(2, 0, 1))");
  assertEquals(
    arange(12).reshape(2, 2, 3).toString(),
    "tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n        [[ 6.,  7.,  8.],\n         [ 9., 10., 11.]]])",
  );
  // a non-contiguous view prints its logical order
  assertEquals(
    tensor([[1, 2], [3, 4]]).t().toString(),
    "tensor([[1., 3.],\n        [2., 4.]])",
  );
});

Deno.test("toString: rows wrap at 80 columns", () => {
  // row width (80 - indent) / (column width + 2): 9 fixed-mode values per
  // line in a matrix row (indent 8), as torch.rand(2, 10) prints
  const vals = Array.from({ length: 20 }, (_, i) => 0.125 + i / 8);
  const text = tensor(vals, { shape: [2, 10] }).toString();
  const c = (i: number) => vals[i].toFixed(4);
  const row = (r: number) =>
    Array.from({ length: 9 }, (_, j) => c(10 * r + j)).join(", ") +
    ",\n         " + c(10 * r + 9);
  assertEquals(text, `tensor([[${row(0)}],\n        [${row(1)}]])`);
  // 18 int-mode values of width 2 fit on the 73 columns after "tensor("
  assertEquals(
    ones(19).toString(),
    `tensor([${Array(18).fill("1.").join(", ")},\n        1.])`,
  );
});

Deno.test("toString: large tensors are summarized", () => {
  assertEquals(ones(2000).toString(), "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
  assertEquals(
    arange(2000).toString(),
    "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
  );
  const rowText = "[1., 1., 1.,  ..., 1., 1., 1.]";
  const expected = "tensor([" +
    [rowText, rowText, rowText, "...", rowText, rowText, rowText].join(
      ",\n        ",
    ) + "])";
  assertEquals(ones(100, 100).toString(), expected);
  // values outside the shown edges do not affect the format
  const big = zeros(1001);
  noGrad(() => big.fill_(0.5));
  assertEquals(
    big.toString(),
    "tensor([0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000])",
  );
  assertEquals(ones(1000).toString().includes("..."), false);
});

Deno.test("toString: requiresGrad and gradFn suffixes", () => {
  assertEquals(
    tensor([1, 2], { requiresGrad: true }).toString(),
    "tensor([1., 2.], requiresGrad=true)",
  );
  const x = tensor([1, 2, 3], { requiresGrad: true });
  assertEquals(x.mul(4).sum().toString(), "tensor(24., gradFn=<SumBackward0>)");
  assertEquals(
    x.mul(0.5).toString(),
    "tensor([0.5000, 1.0000, 1.5000], gradFn=<MulBackward0>)",
  );
  assertEquals(x.detach().toString(), "tensor([1., 2., 3.])");
  // a suffix that would pass column 80 goes on its own line
  const row = tensor(linspace(0.1, 0.9, 9), { requiresGrad: true });
  assertEquals(
    row.toString(),
    "tensor([0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000, 0.9000],\n       requiresGrad=true)",
  );
  assertEquals(
    zeros([0, 2], { requiresGrad: true }).toString(),
    "tensor([], size=(0, 2), requiresGrad=true)",
  );
  assertEquals(`${tensor(1)}`, "tensor(1.)", "template literals use toString");
});

// ---- error cases ----

Deno.test("errors: tensor() data", () => {
  // deno-lint-ignore no-explicit-any
  const bad = (x: unknown) => () => tensor(x as any);
  assertCleanThrow(
    bad("abc"),
    TypeError,
    "tensor() expects a number, nested arrays of numbers or a Float32Array, got string",
  );
  assertCleanThrow(bad({}), TypeError, "got Object");
  assertCleanThrow(bad(null), TypeError, "got null");
  assertCleanThrow(bad(undefined), TypeError, "got undefined");
  assertCleanThrow(
    bad([[1, 2], [3]]),
    RangeError,
    "expected sequence of length 2 at dim 1 (got 1)",
  );
  assertCleanThrow(
    bad([[[1], [2]], [[3], [4, 5]]]),
    RangeError,
    "expected sequence of length 1 at dim 2 (got 2)",
  );
  assertCleanThrow(
    bad([[1, 2], 3]),
    RangeError,
    "expected sequence of length 2 at dim 1",
  );
  assertCleanThrow(bad([1, [2]]), TypeError, "expects numbers");
  assertCleanThrow(bad([1, "a"]), TypeError, "expects numbers, got string");
  assertCleanThrow(
    () => tensor(new Float32Array(6), { shape: [4] }),
    RangeError,
    "shape [4] has 4 elements but the data has 6",
  );
  assertCleanThrow(
    () => tensor([1, 2, 3], { shape: [2, 2] }),
    RangeError,
    "shape [2, 2] has 4 elements but the data has 3",
  );
  assertCleanThrow(
    () => tensor(1, { shape: [2] }),
    RangeError,
    "shape [2] does not fit 1 value",
  );
  assertCleanThrow(
    () => tensor([1, 2], { shape: [-2, -1] }),
    RangeError,
    "non-negative integers",
  );
});

Deno.test("errors: bad shapes", () => {
  assertCleanThrow(
    () => zeros(-1),
    RangeError,
    "shape must contain non-negative integers, got [-1]",
  );
  assertCleanThrow(() => ones(2, 1.5), RangeError, "got [2, 1.5]");
  assertCleanThrow(() => zeros([2, NaN]), RangeError, "got [2, NaN]");
  assertCleanThrow(
    () => full([Infinity], 1),
    RangeError,
    "non-negative integers",
  );
  assertCleanThrow(() => rand(-3), RangeError, "non-negative integers");
  assertCleanThrow(() => randn([1, -1]), RangeError, "non-negative integers");
  // deno-lint-ignore no-explicit-any
  assertCleanThrow(() => zeros("3" as any), TypeError, "expected a shape");
});

Deno.test("errors: broadcasting names both shapes", () => {
  const a = zeros(2, 3), b = zeros(4);
  for (
    const op of [
      "add",
      "sub",
      "mul",
      "div",
      "pow",
      "maximum",
      "minimum",
    ] as const
  ) {
    assertCleanThrow(
      () => a[op](b),
      RangeError,
      "Cannot broadcast shapes [2, 3] and [4]",
    );
  }
  const c = zeros(5, 1, 3), d = zeros(4, 2);
  assertCleanThrow(
    () => c.add(d),
    RangeError,
    "Cannot broadcast shapes [5, 1, 3] and [4, 2]",
  );
  // an in-place op must also fit the target's shape
  const t = ones(3);
  const z23 = zeros(2, 3), z2 = zeros(2);
  assertCleanThrow(
    () => t.add_(z23),
    RangeError,
    "doesn't match the broadcast shape [2, 3]",
  );
  assertCleanThrow(
    () => t.mul_(z23),
    RangeError,
    "doesn't match the broadcast shape [2, 3]",
  );
  assertCleanThrow(
    () => t.copy_(z2),
    RangeError,
    "Cannot broadcast shapes [3] and [2]",
  );
  assertEquals(
    [...t.toFloat32Array()],
    [1, 1, 1],
    "unchanged after the errors",
  );
  assertCleanThrow(
    () => a.add("1" as unknown as number),
    TypeError,
    "add(): expected a Tensor or a number",
  );
});

Deno.test("errors: matmul shapes", () => {
  const cases: [number[], number[], string][] = [
    [[3, 2], [3, 1], "mat1 and mat2 shapes cannot be multiplied (3x2 and 3x1)"],
    [
      [2, 4, 3],
      [2, 4, 3],
      "mat1 and mat2 shapes cannot be multiplied (8x3 and 4x3)",
    ],
    [[3], [4], "inconsistent tensor size"],
    [[3], [2, 4], "(1x3 and 2x4)"],
    [[2, 3], [4], "(2x3 and 4x1)"],
    [[2, 2, 3], [3, 3, 1], "Cannot broadcast shapes [2] and [3]"],
    [
      [],
      [2],
      "both arguments to matmul need to be at least 1D, but they are 0D and 1D",
    ],
  ];
  for (const [sa, sb, msg] of cases) {
    const a = zeros(sa), b = zeros(sb);
    assertCleanThrow(() => a.matmul(b), RangeError, msg);
    assertCleanThrow(() => matmul(a, b), RangeError, msg);
  }
});

Deno.test("errors: dim out of range", () => {
  const a = zeros(2, 3);
  const msg =
    "Dimension out of range (expected to be in range of [-2, 1], but got 2)";
  assertCleanThrow(() => a.sum(2), RangeError, msg);
  assertCleanThrow(() => a.mean([0, 2]), RangeError, msg);
  assertCleanThrow(() => a.max(2), RangeError, msg);
  assertCleanThrow(() => a.min(-3), RangeError, "but got -3");
  assertCleanThrow(() => a.argmax(2), RangeError, msg);
  assertCleanThrow(() => a.argmin(5), RangeError, "but got 5");
  assertCleanThrow(() => a.size(2), RangeError, msg);
  assertCleanThrow(() => a.sum(0.5), RangeError, "but got 0.5");
  assertCleanThrow(
    () => a.sum([1, -1]),
    RangeError,
    "dim 1 appears multiple times in the list of dims",
  );
  // a 0-d tensor accepts dims 0 and -1 only
  const s = tensor(5);
  assertEquals(s.sum(0).item(), 5);
  assertEquals(s.sum(-1).item(), 5);
  assertCleanThrow(
    () => s.sum(1),
    RangeError,
    "expected to be in range of [-1, 0], but got 1",
  );
  assertCleanThrow(
    () => s.unsqueeze(2),
    RangeError,
    "expected to be in range of [-1, 0], but got 2",
  );
});

Deno.test("errors: empty reductions, clamp without bounds", () => {
  const e0 = zeros(0), e20 = zeros(2, 0), t = zeros(3);
  assertCleanThrow(
    () => e0.max(),
    RangeError,
    "Expected reduction dim to be specified for input.numel() == 0",
  );
  assertCleanThrow(() => e20.argmin(), RangeError, "numel() == 0");
  assertCleanThrow(
    () => e20.max(1),
    RangeError,
    "Expected reduction dim 1 to have non-zero size",
  );
  assertCleanThrow(
    () => e20.argmax(1),
    RangeError,
    "Expected reduction dim 1 to have non-zero size",
  );
  assertCleanThrow(
    () => t.clamp(),
    TypeError,
    "At least one of 'min' or 'max' must not be None",
  );
  assertEquals(e20.sum(1).toArray(), [0, 0]);
  assertEquals(e20.max(0).values.shape, [0]);
});

Deno.test("errors: in-place ops refuse what they cannot do, changing nothing", () => {
  const w = ones(2, 3, { requiresGrad: true });
  assertCleanThrow(
    () => w.fill_(0),
    Error,
    "a leaf Variable that requires grad is being used in an in-place operation",
  );
  assertCleanThrow(() => w.add_(1), Error, "in-place operation (add_)");
  assertCleanThrow(() => w.zero_(), Error, "in-place");
  assert(w.toFloat32Array().every((v) => v === 1));
  const t = ones(2, 3).t();
  assertCleanThrow(
    () => t.fill_(2),
    RangeError,
    "fill_: the tensor must be contiguous",
  );
  assert(t.toFloat32Array().every((v) => v === 1));
});

Deno.test("errors: after dispose a tensor cannot be used", () => {
  const a = ones(3);
  const v = a.view(3, 1);
  a.dispose();
  assertThrows(() => a.toArray(), ReferenceError, "after dispose()");
  assertThrows(() => v.add(1), ReferenceError, "after dispose()");
  {
    using b = ones(2);
    assertEquals(b.sum().item(), 2);
  }
});
