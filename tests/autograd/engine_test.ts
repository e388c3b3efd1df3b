// The autograd engine's behaviour, as PyTorch defines it: accumulation into
// leaves, reuse of a tensor, retainGraph and the second-backward error,
// implicit gradients only for one-element outputs, noGrad, detach, in-place
// rules, printing that never records, gradFn names, isLeaf and retainGrad.
import {
  isGradEnabled,
  memoryStats,
  noGrad,
  ones,
  type Tensor,
  tensor,
  zeros,
} from "../../mod.ts";
import { assert, assertClose, assertEquals, assertThrows } from "../_assert.ts";

const values = (t: Tensor | null): number[] => {
  if (t === null) throw new Error("expected a gradient, got null");
  return [...t.toFloat32Array()];
};

Deno.test("gradients accumulate across backward calls until zeroed", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  for (let i = 1; i <= 3; i++) {
    x.mul(x).sum().backward(); // d/dx = 2x each time
    assertEquals(
      values(x.grad),
      [2, 4, 6].map((v) => v * i),
      `after ${i} calls`,
    );
  }
  // zeroing by hand, as each training step must
  noGrad(() => x.grad!.zero_());
  x.mul(3).sum().backward();
  assertEquals(values(x.grad), [3, 3, 3]);
  x.grad = null;
  x.sum().backward();
  assertEquals(values(x.grad), [1, 1, 1]);
  // a gradient never requires grad itself
  assert(!x.grad!.requiresGrad);
  assertEquals(x.grad!.gradFn, null);
});

Deno.test("a tensor used twice receives both contributions", () => {
  const x = tensor([0.5, -2], { requiresGrad: true });
  x.add(x).sum().backward();
  assertEquals(values(x.grad), [2, 2]);
  x.grad = null;
  // diamond: a feeds b and the output directly; d/dx (e^(2x) + 2x) = 2e^(2x) + 2
  const a = x.mul(2);
  a.exp().add(a).sum().backward();
  assertClose(
    x.grad!.toFloat32Array(),
    [2 * Math.exp(1) + 2, 2 * Math.exp(-4) + 2],
    1e-6,
    1e-6,
  );
  x.grad = null;
  // reused across broadcasting: x [2] against itself as a column [2, 1]
  x.unsqueeze(1).mul(x).sum().backward(); // sum_ij x_i x_j: d/dx_k = 2 sum(x)
  assertEquals(values(x.grad), [-3, -3]);
  // two leaves in one op, one of them twice
  const w = tensor([3], { requiresGrad: true });
  x.grad = null;
  x.mul(w).mul(x).sum().backward(); // sum w x^2
  assertEquals(values(x.grad), [3, -12]);
  assertEquals(values(w.grad), [0.25 + 4]);
});

Deno.test("broadcasting routes gradients back to each input's shape", () => {
  const a = tensor([[1], [2]], { requiresGrad: true }); // [2, 1]
  const b = tensor([10, 20, 30], { requiresGrad: true }); // [3]
  const s = tensor(2, { requiresGrad: true }); // 0-d
  a.mul(b).add(s).sum().backward();
  assertEquals(a.grad!.shape, [2, 1]);
  assertEquals(values(a.grad), [60, 60]);
  assertEquals(b.grad!.shape, [3]);
  assertEquals(values(b.grad), [3, 3, 3]);
  assertEquals(s.grad!.shape, []);
  assertEquals(values(s.grad), [6]);
  // expand and a view in between
  const c = tensor([1, 2], { requiresGrad: true });
  c.unsqueeze(0).expand(4, 2).t().sum().backward();
  assertEquals(values(c.grad), [4, 4]);
});

Deno.test("retainGraph allows a second backward; without it, a clear error", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.exp().sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assertClose(x.grad!.toFloat32Array(), [2 * Math.E, 2 * Math.exp(2)], 1e-6, 0);
  const before = values(x.grad);
  const e = assertThrows(
    () => y.backward(),
    Error,
    "Trying to backward through the graph a second time",
  );
  assert(
    e.message.includes("retainGraph"),
    "the message says how to keep the graph",
  );
  assertEquals(values(x.grad), before, "the failed backward changed nothing");
  // a new graph over the same leaves works, and intermediates shared with a
  // freed graph are freed too, as in PyTorch
  x.exp().sum().backward();
  const z = x.mul(2);
  z.sum().backward();
  assertThrows(
    () => z.mean().backward(),
    Error,
    "Trying to backward through the graph a second time",
  );
  // retainGraph on every call keeps it usable indefinitely
  const w = tensor(3, { requiresGrad: true });
  const q = w.mul(w);
  for (let i = 0; i < 3; i++) q.backward(undefined, { retainGraph: true });
  assertEquals(w.grad!.item(), 18);
});

Deno.test("backward() needs a gradient for outputs of more than one element", () => {
  const x = ones(2, 3, { requiresGrad: true });
  const y = x.mul(2);
  assertThrows(
    () => y.backward(),
    Error,
    "grad can be implicitly created only for scalar outputs; got a tensor of shape [2, 3]",
  );
  assertThrows(
    () => y.backward(ones(3)),
    RangeError,
    "Mismatch in shape: grad_output[0] has a shape of [3] and output[0] has a shape of [2, 3]",
  );
  assertEquals(x.grad, null, "nothing ran");
  // the graph survived the errors
  const g = tensor([[1, 2, 3], [4, 5, 6]]);
  y.backward(g);
  assertEquals(values(x.grad), [2, 4, 6, 8, 10, 12]);
  // one element of any shape is fine without a gradient
  const s = ones(1, 1, { requiresGrad: true });
  s.mul(5).backward();
  assertEquals(values(s.grad), [5]);
  // a number gradient for a one-element output scales it
  const t = tensor(2, { requiresGrad: true });
  t.mul(t).backward(10);
  assertEquals(t.grad!.item(), 40);
  // nothing to differentiate
  assertThrows(
    () => ones(2).sum().backward(),
    Error,
    "does not require grad and does not have a grad_fn",
  );
});

Deno.test("the gradient given to backward is copied, never aliased", () => {
  const x = zeros(3, { requiresGrad: true });
  const g = tensor([1, 2, 3]);
  x.clone().backward(g);
  noGrad(() => g.fill_(100));
  assertEquals(values(x.grad), [1, 2, 3]);
  // a leaf as the root gets the gradient itself
  const y = zeros(2, { requiresGrad: true });
  y.backward(tensor([4, 5]));
  assertEquals(values(y.grad), [4, 5]);
});

Deno.test("noGrad returns fn's value and records nothing", () => {
  const w = tensor([1, 2], { requiresGrad: true });
  assert(isGradEnabled());
  const y = noGrad(() => w.mul(2).add(w).exp());
  assert(!y.requiresGrad);
  assertEquals(y.gradFn, null);
  assert(y.isLeaf);
  assertEquals(noGrad(() => 42), 42);
  assertEquals(noGrad(() => ({ a: w.sum() })).a.gradFn, null);
  // nested, and restored after a throw
  noGrad(() => {
    noGrad(() => assert(!isGradEnabled()));
    assert(!isGradEnabled(), "inner noGrad restores the outer state");
  });
  assertThrows(
    () =>
      noGrad(() => {
        throw new Error("boom");
      }),
    Error,
    "boom",
  );
  assert(isGradEnabled(), "recording resumes after a throw inside noGrad");
  // recording resumes
  assert(w.mul(2).requiresGrad);
});

Deno.test("ops on tensors that need no grad record nothing", () => {
  const a = tensor([1, 2]), b = tensor([3, 4]);
  const c = a.mul(b).add(1).exp().sum();
  assert(!c.requiresGrad);
  assertEquals(c.gradFn, null);
  assert(c.isLeaf);
  // a constant operand gets no gradient
  const w = tensor([1, 1], { requiresGrad: true });
  w.mul(a).sum().backward();
  assertEquals(a.grad, null);
  assertEquals(values(w.grad), [1, 2]);
});

Deno.test("detach shares data, leaves the graph, and stops gradients", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(2);
  const d = y.detach();
  assert(!d.requiresGrad);
  assertEquals(d.gradFn, null);
  assert(d.isLeaf);
  assertEquals(values(d), [2, 4, 6]);
  // shares storage with y
  noGrad(() => y.fill_(0));
  assertEquals(values(d), [0, 0, 0]);
  // no gradient flows through it
  const z = x.mul(x.detach()).sum(); // d/dx = x.detach() (not 2x)
  z.backward();
  assertEquals(values(x.grad), [1, 2, 3]);
  // a detached tensor can become a new leaf
  const leaf = x.detach().requiresGrad_();
  assert(leaf.requiresGrad && leaf.isLeaf);
  leaf.sum().backward();
  assertEquals(values(leaf.grad), [1, 1, 1]);
  assertEquals(values(x.grad), [1, 2, 3], "the original leaf got nothing");
});

Deno.test("in-place ops on a leaf that requires grad: an error, unless in noGrad", () => {
  const w = tensor([1, 2, 3], { requiresGrad: true });
  const ops: [string, () => unknown][] = [
    ["fill_", () => w.fill_(0)],
    ["zero_", () => w.zero_()],
    ["copy_", () => w.copy_(tensor([0, 0, 0]))],
    ["add_", () => w.add_(1)],
    ["sub_", () => w.sub_(tensor([1, 1, 1]))],
    ["mul_", () => w.mul_(2)],
  ];
  for (const [name, op] of ops) {
    assertThrows(
      op,
      Error,
      "a leaf Variable that requires grad is being used in an in-place operation",
    );
    assertEquals(values(w), [1, 2, 3], `${name} changed nothing`);
  }
  // the optimizer's way: inside noGrad
  w.mul(w).sum().backward();
  noGrad(() => w.sub_(w.grad!, { alpha: 0.25 }));
  assertEquals(values(w), [0.5, 1, 1.5]);
  assert(w.requiresGrad && w.isLeaf, "still a leaf that requires grad");
  assertEquals(w.gradFn, null, "the update was not recorded");
  // a recorded (non-leaf) tensor cannot be modified in place either
  const y = w.mul(2);
  assertThrows(() => y.add_(1), Error, "in-place");
  // ... while tensors outside the graph can
  const c = tensor([1, 2]);
  c.add_(1).mul_(2);
  assertEquals(values(c), [4, 6]);
});

Deno.test("printing and item() never record graph or allocate tensors", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(2).sum();
  const node = y.gradFn;
  const before = memoryStats().allocatedTensors;
  assertEquals(y.item(), 12);
  assertEquals(y.toString(), "tensor(12., gradFn=<SumBackward0>)");
  assertEquals(String(x), "tensor([1., 2., 3.], requiresGrad=true)");
  x.toArray();
  x.toFloat32Array();
  assertEquals(
    memoryStats().allocatedTensors,
    before,
    "reading allocated tensors",
  );
  assert(y.gradFn === node);
  assertEquals(x.grad, null);
  y.backward();
  assertEquals(values(x.grad), [2, 2, 2]);
  // printing non-contiguous tensors that require grad records nothing either
  const t = tensor([[1, 2], [3, 4]], { requiresGrad: true }).t();
  assertEquals(
    t.toString(),
    "tensor([[1., 3.],\n        [2., 4.]], gradFn=<TBackward0>)",
  );
  assertEquals(t.gradFn!.name, "TBackward0");
});

Deno.test("gradFn names print as PyTorch's", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const m = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const pos = tensor([0.5, 2], { requiresGrad: true });
  const names: [Tensor, string][] = [
    [x.add(x), "AddBackward0"],
    [x.add(2), "AddBackward0"], // `x + 2` in Python is add.Tensor too
    [x.sub(x), "SubBackward0"],
    [x.mul(x), "MulBackward0"],
    [x.mul(3), "MulBackward0"],
    [x.div(x), "DivBackward0"],
    [x.div(2), "DivBackward0"],
    [x.pow(2), "PowBackward0"],
    [pos.pow(pos), "PowBackward1"],
    [x.neg(), "NegBackward0"],
    [x.exp(), "ExpBackward0"],
    [pos.log(), "LogBackward0"],
    [pos.sqrt(), "SqrtBackward0"],
    [x.abs(), "AbsBackward0"],
    [x.relu(), "ReluBackward0"],
    [x.sigmoid(), "SigmoidBackward0"],
    [x.tanh(), "TanhBackward0"],
    [x.clamp(0, 1), "ClampBackward1"],
    [x.maximum(x), "MaximumBackward0"],
    [x.minimum(x), "MinimumBackward0"],
    [m.matmul(m), "MmBackward0"],
    [x.sum(), "SumBackward0"],
    [m.sum(0), "SumBackward1"],
    [x.mean(), "MeanBackward0"],
    [m.mean(1), "MeanBackward1"],
    [x.max(), "MaxBackward1"],
    [m.max(0).values, "MaxBackward0"],
    [x.min(), "MinBackward1"],
    [m.min(1).values, "MinBackward0"],
    [m.view(4), "ViewBackward0"],
    [m.transpose(0, 1), "TransposeBackward0"],
    [m.permute(1, 0), "PermuteBackward0"],
    [m.t(), "TBackward0"],
    [x.unsqueeze(0), "UnsqueezeBackward0"],
    [x.expand(2, 3), "ExpandBackward0"],
    [x.clone(), "CloneBackward0"],
    [m.t().contiguous(), "CloneBackward0"],
  ];
  for (const [t, name] of names) {
    assertEquals(t.gradFn?.name, name);
    assertEquals(String(t.gradFn), `<${name}>`);
    assert(t.toString().endsWith(`, gradFn=<${name}>)`), t.toString());
  }
  assertEquals(x.mul(4).sum().toString(), "tensor(24., gradFn=<SumBackward0>)");
});

Deno.test("isLeaf, requiresGrad on leaves and results", () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([1, 2]);
  assert(a.isLeaf && b.isLeaf);
  const c = a.mul(b);
  assert(!c.isLeaf && c.requiresGrad);
  const d = b.mul(2);
  assert(
    d.isLeaf && !d.requiresGrad,
    "results of ops that record nothing are leaves",
  );
  // requiresGrad is settable on leaves, not on recorded results
  b.requiresGrad = true;
  assert(b.requiresGrad);
  b.requiresGrad = false;
  assert(!b.requiresGrad);
  assertThrows(
    () => {
      c.requiresGrad = false;
    },
    Error,
    "you can only change requiresGrad flags of leaf variables",
  );
  assert(c.requiresGrad);
  assertEquals(b.requiresGrad_(), b);
  assert(b.requiresGrad);
});

Deno.test("retainGrad keeps a non-leaf's gradient", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.mul(3);
  const z = y.mul(y); // kept: dz/dy = 2y
  y.retainGrad();
  z.sum().backward();
  assertEquals(values(y.grad), [6, 12]);
  assertEquals(values(x.grad), [18, 36]);
  assertEquals(z.grad, null, "non-leaves keep no gradient by default");
  // it accumulates like a leaf's over repeated backward calls
  const y2 = x.mul(1);
  y2.retainGrad();
  const s = y2.sum();
  s.backward(undefined, { retainGraph: true });
  s.backward();
  assertEquals(values(y2.grad), [2, 2]);
  // retainGrad on a leaf is a no-op; on a tensor that needs no grad, an error
  x.retainGrad();
  assertThrows(
    () => tensor([1]).retainGrad(),
    Error,
    "can't retain_grad on Tensor that has requires_grad=False",
  );
});

Deno.test("a long chain backpropagates without recursion limits", () => {
  const x = tensor(1, { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 20000; i++) y = y.mul(1);
  y.backward();
  assertEquals(x.grad!.item(), 1);
});

Deno.test("engine: leaves never share an adopted gradient", () => {
  for (const n of [3, 100]) {
    const a = tensor(new Float32Array(n).fill(1), { requiresGrad: true });
    const b = tensor(new Float32Array(n).fill(2), { requiresGrad: true });
    a.add(b).backward(ones(n)); // AddBackward hands the same gradient to both
    noGrad(() => a.grad!.zero_());
    assertEquals([...b.grad!.toFloat32Array()], new Array(n).fill(1));
  }
});

Deno.test("engine: the gradient passed to backward is never adopted or freed", () => {
  for (const n of [3, 100]) {
    const a = tensor(new Float32Array(n).fill(1), { requiresGrad: true });
    const g = ones(n).mul(3);
    a.mul(1).backward(g);
    a.add(0).backward(g);
    noGrad(() => a.grad!.zero_());
    assertEquals([...g.toFloat32Array()], new Array(n).fill(3));
  }
});

Deno.test("engine: intermediate gradients are freed during backward", () => {
  const x = tensor(new Float32Array(4096).fill(0.5), { requiresGrad: true });
  const y = x.mul(2).exp().add(1).sqrt().sum();
  const before = memoryStats().disposedTensors;
  y.backward();
  assert(memoryStats().disposedTensors > before, "some were freed");
  // and the result is still right: d/dx sqrt(e^(2x) + 1) = e^(2x) / sqrt(e^(2x) + 1)
  const e = Math.exp(1);
  const expected = e / Math.sqrt(e + 1);
  for (const v of x.grad!.toFloat32Array()) {
    assert(Math.abs(v - expected) < 1e-5, `${v} vs ${expected}`);
  }
});
