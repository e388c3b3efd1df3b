// The optimizer base: validation with PyTorch's messages, parameter groups,
// addParamGroup, zeroGrad, state dicts through JSON, allocation-free steps,
// and the kernels' SIMD tails.
import { memoryStats, optim, type Tensor, tensor } from "../../mod.ts";
import { assert, assertClose, assertEquals, assertThrows } from "../_assert.ts";

type Ctor = new (params: unknown, options?: unknown) => optim.Optimizer;

/** Every fused optimizer, with options that exercise its state. */
const FUSED: [string, Ctor, Record<string, unknown>][] = [
  ["SGD", optim.SGD as Ctor, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }],
  ["SGD nesterov", optim.SGD as Ctor, {
    lr: 0.1,
    momentum: 0.5,
    nesterov: true,
  }],
  ["Adam", optim.Adam as Ctor, { lr: 0.05, amsgrad: true, weightDecay: 0.01 }],
  ["AdamW", optim.AdamW as Ctor, { lr: 0.05 }],
  ["Adagrad", optim.Adagrad as Ctor, {
    lr: 0.1,
    lrDecay: 0.01,
    initialAccumulatorValue: 0.1,
  }],
  ["RMSprop", optim.RMSprop as Ctor, {
    centered: true,
    momentum: 0.9,
    weightDecay: 0.01,
  }],
  ["Adamax", optim.Adamax as Ctor, { lr: 0.05, weightDecay: 0.01 }],
  ["ASGD", optim.ASGD as Ctor, { lr: 0.05, t0: 2 }],
  ["Rprop", optim.Rprop as Ctor, { lr: 0.05 }],
];

/** A small quadratic problem: loss = sum((w * a - b)^2) over a few params. */
function problem(sizes: number[], seed = 1) {
  let s = seed;
  const rnd = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 * 2 - 1;
  };
  const data = sizes.map((n) => ({
    w: Array.from({ length: n }, rnd),
    a: Array.from({ length: n }, rnd),
    b: Array.from({ length: n }, rnd),
  }));
  const params = () => data.map((d) => tensor(d.w, { requiresGrad: true }));
  const consts = data.map((d) => ({ a: tensor(d.a), b: tensor(d.b) }));
  const loss = (ps: Tensor[]) =>
    ps.map((p, i) => p.mul(consts[i].a).sub(consts[i].b).pow(2).sum())
      .reduce((x, y) => x.add(y));
  return { params, loss, data };
}

function train(
  opt: optim.Optimizer,
  ps: Tensor[],
  loss: (ps: Tensor[]) => Tensor,
  steps: number,
  sign = 1,
): Float32Array[] {
  const out: Float32Array[] = [];
  for (let k = 0; k < steps; k++) {
    opt.zeroGrad();
    const l = loss(ps);
    (sign < 0 ? l.neg() : l).backward();
    opt.step();
    out.push(...ps.map((p) => p.toFloat32Array()));
  }
  return out;
}

function tensorCount(): number {
  return memoryStats().allocatedTensors;
}

// ---- validation ----

Deno.test("optimizer: invalid hyperparameters throw PyTorch's messages", () => {
  const w = () => [tensor([1], { requiresGrad: true })];
  assertThrows(
    () => new optim.Adam(w(), { lr: -0.1 }),
    RangeError,
    "Invalid learning rate: -0.1",
  );
  assertThrows(
    () => new optim.Adam(w(), { betas: [1.0, 0.999] }),
    RangeError,
    "Invalid beta parameter at index 0: 1.0",
  );
  assertThrows(
    () => new optim.AdamW(w(), { betas: [0.9, 1] }),
    RangeError,
    "Invalid beta parameter at index 1: 1.0",
  );
  assertThrows(
    () => new optim.Adam(w(), { eps: -1e-8 }),
    RangeError,
    "Invalid epsilon value: -1e-08",
  );
  assertThrows(
    () => new optim.Adamax(w(), { weightDecay: -1 }),
    RangeError,
    "Invalid weight_decay value: -1.0",
  );
  assertThrows(
    () => new optim.SGD(w(), { lr: 0.1, momentum: -0.5 }),
    RangeError,
    "Invalid momentum value: -0.5",
  );
  assertThrows(
    () => new optim.SGD(w(), { lr: 0.1, nesterov: true }),
    RangeError,
    "Nesterov momentum requires a momentum and zero dampening",
  );
  assertThrows(
    () => new optim.Adagrad(w(), { lrDecay: -1 }),
    RangeError,
    "Invalid lr_decay value: -1.0",
  );
  assertThrows(
    () => new optim.Adagrad(w(), { initialAccumulatorValue: -0.1 }),
    RangeError,
    "Invalid initial_accumulator_value value: -0.1",
  );
  assertThrows(
    () => new optim.RMSprop(w(), { alpha: -0.9 }),
    RangeError,
    "Invalid alpha value: -0.9",
  );
  assertThrows(
    () => new optim.Rprop(w(), { etas: [1.5, 1.2] }),
    RangeError,
    "Invalid eta values: 1.5, 1.2",
  );
  assertThrows(
    () => new optim.ASGD(w(), { lr: -1 }),
    RangeError,
    "Invalid learning rate: -1.0",
  );
  assertThrows(
    () => new optim.LBFGS(w(), { lineSearchFn: "armijo" as "strong_wolfe" }),
    RangeError,
    "only 'strong_wolfe' is supported",
  );
  // a misspelt option is an error, not silently ignored
  assertThrows(
    () =>
      new optim.Adam(
        w(),
        { weight_decay: 0.1 } as unknown as optim.AdamOptions,
      ),
    TypeError,
    "unexpected option 'weight_decay'",
  );
});

Deno.test("optimizer: invalid parameter lists throw PyTorch's messages", () => {
  const a = tensor([1], { requiresGrad: true });
  assertThrows(
    () => new optim.SGD([], { lr: 0.1 }),
    RangeError,
    "optimizer got an empty parameter list",
  );
  assertThrows(
    () => new optim.SGD([a.mul(2)], { lr: 0.1 }),
    Error,
    "can't optimize a non-leaf Tensor",
  );
  assertThrows(
    () => new optim.SGD(a as unknown as Tensor[], { lr: 0.1 }),
    TypeError,
    "should be an iterable of Tensors or dicts, but got Tensor",
  );
  assertThrows(
    () => new optim.SGD([a, 3 as unknown as Tensor], { lr: 0.1 }),
    TypeError,
    "optimizer can only optimize Tensors, but one of the params is number",
  );
  assertThrows(
    () => new optim.SGD([{ params: [a] }, { params: [a] }], { lr: 0.1 }),
    Error,
    "some parameters appear in more than one parameter group",
  );
  assertThrows(
    () => new optim.SGD([a]),
    TypeError,
    "parameter group didn't specify a value of required optimization parameter lr",
  );
  assertThrows(
    () => new optim.SGD([{ params: new Set([a]) }], { lr: 0.1 }),
    TypeError,
    "ordered collections",
  );
  // an invalid group override is caught too
  assertThrows(
    () => new optim.SGD([{ params: [a], lr: -0.5 }], { lr: 0.1 }),
    RangeError,
    "Invalid learning rate: -0.5",
  );
  assertThrows(
    () =>
      new optim.LBFGS([{ params: [a] }, {
        params: [tensor([2], { requiresGrad: true })],
      }]),
    RangeError,
    "LBFGS doesn't support per-parameter options (parameter groups)",
  );
  // SGD's lr may come from every group instead of the options
  const opt = new optim.SGD([{ params: [a], lr: 0.5 }]);
  assertEquals(opt.paramGroups[0].lr, 0.5);
});

// ---- parameter groups ----

Deno.test("optimizer: param groups get their own lr and momentum", () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3], { requiresGrad: true });
  const c = [0.5, -1, 2]; // constant gradients: loss = w . c[0:2] + b * c[2]
  const opt = new optim.SGD([
    { params: [w] },
    { params: [b], lr: 0.01, momentum: 0.9 },
  ], { lr: 0.1 });
  assertEquals(opt.paramGroups[0].momentum, 0);
  assertEquals(opt.paramGroups[0].lr, 0.1);
  assertEquals(opt.paramGroups[1].momentum, 0.9);
  assertEquals(opt.paramGroups[1].lr, 0.01);
  const step = () => {
    opt.zeroGrad();
    w.mul(tensor(c.slice(0, 2))).sum().add(b.mul(c[2]).sum()).backward();
    opt.step();
  };
  step();
  assertClose(w.toFloat32Array(), [1 - 0.1 * 0.5, 2 + 0.1], 1e-6, 1e-7);
  assertClose(b.toFloat32Array(), [3 - 0.01 * 2], 1e-6, 1e-7);
  step();
  // buffer = 0.9 * 2 + 2 for b; plain SGD for w
  assertClose(w.toFloat32Array(), [1 - 0.2 * 0.5, 2 + 0.2], 1e-6, 1e-7);
  assertClose(b.toFloat32Array(), [3 - 0.01 * 2 - 0.01 * 3.8], 1e-6, 1e-7);
  // lr (and any option) may change between steps, as schedules do
  opt.paramGroups[0].lr = 1;
  step();
  assertClose(
    w.toFloat32Array(),
    [1 - 0.2 * 0.5 - 0.5, 2 + 0.2 + 1],
    1e-6,
    1e-7,
  );
});

Deno.test("optimizer: addParamGroup merges defaults and validates first", () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const opt = new optim.Adam([w], { lr: 0.01, betas: [0.8, 0.9] });
  const extra = tensor([[1, -1]], { requiresGrad: true });
  opt.addParamGroup({ params: extra, lr: 0.1 });
  assertEquals(opt.paramGroups.length, 2);
  assertEquals(opt.paramGroups[1].params, [extra]);
  assertEquals(opt.paramGroups[1].lr, 0.1);
  assertEquals(opt.paramGroups[1].betas, [0.8, 0.9]);
  assertEquals(opt.paramGroups[1].eps, 1e-8);
  // the defaults' arrays are copied, not shared
  opt.paramGroups[1].betas[0] = 0.5;
  assertEquals(opt.defaults.betas, [0.8, 0.9]);
  assertThrows(
    () => opt.addParamGroup({ params: [w] }),
    Error,
    "more than one parameter group",
  );
  assertThrows(
    () =>
      opt.addParamGroup({
        params: [tensor([1], { requiresGrad: true })],
        betas: [0.9, 2],
      }),
    RangeError,
    "Invalid beta parameter at index 1: 2.0",
  );
  assertEquals(opt.paramGroups.length, 2);
  // the new group is trained: the first Adam step moves each weight by lr
  opt.zeroGrad();
  extra.mul(extra).sum().add(w.sum()).backward();
  opt.step();
  assertClose(extra.toFloat32Array(), [0.9, -0.9], 1e-5, 1e-6);
  assertClose(w.toFloat32Array(), [0.99, 1.99], 1e-5, 1e-6);
});

Deno.test("optimizer: parameters without a gradient are skipped and get no state", () => {
  const a = tensor([1], { requiresGrad: true });
  const b = tensor([2], { requiresGrad: true });
  const opt = new optim.Adam([a, b], { lr: 0.1 });
  a.mul(3).sum().backward();
  opt.step();
  assertEquals(b.toArray(), [2]);
  assert(opt.state.has(a));
  assert(!opt.state.has(b));
  assertEquals(opt.state.get(a)!.step, 1);
});

Deno.test("optimizer: a bad gradient throws before any parameter changes", () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3, 4], { requiresGrad: true });
  const opt = new optim.SGD([a, b], { lr: 0.1 });
  a.sum().backward();
  b.grad = tensor([1, 2, 3]);
  assertThrows(
    () => opt.step(),
    RangeError,
    "cannot update a parameter of shape [2]",
  );
  assertEquals(a.toArray(), [1, 2]);
  assertEquals(opt.state.size, 0);
});

// ---- step, closure, zeroGrad ----

Deno.test("optimizer: step returns the closure's loss", () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const opt = new optim.SGD([w], { lr: 0.1 });
  let calls = 0;
  let made: Tensor | null = null;
  const out = opt.step(() => {
    calls++;
    opt.zeroGrad();
    made = w.mul(w).sum();
    made.backward();
    return made;
  });
  assertEquals(calls, 1);
  assert(out === made);
  assertClose(w.toFloat32Array(), [0.8, 1.6], 1e-6, 1e-7);
  assertEquals(opt.step(), undefined);
  assertThrows(
    () => new optim.LBFGS([w]).step(undefined as unknown as () => Tensor),
    TypeError,
    "requires a closure",
  );
});

Deno.test("optimizer: zeroGrad sets grads to null, or to zeros with setToNone false", () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const opt = new optim.SGD([w], { lr: 0.1 });
  w.mul(w).sum().backward();
  const g = w.grad!;
  opt.zeroGrad({ setToNone: false });
  assert(w.grad === g, "the same tensor, zeroed in place");
  assertEquals(w.grad!.toArray(), [0, 0]);
  w.mul(w).sum().backward();
  assertEquals(w.grad!.toArray(), [2, 4]);
  opt.zeroGrad();
  assertEquals(w.grad, null);
  opt.zeroGrad(); // no grads at all is fine
});

Deno.test("optimizer: maximize on -loss follows minimize on loss exactly", () => {
  for (const [name, Opt, options] of FUSED) {
    const { params, loss } = problem([5, 3]);
    const p1 = params(), p2 = params();
    const a = train(new Opt(p1, options), p1, loss, 4);
    const b = train(
      new Opt(p2, { ...options, maximize: true }),
      p2,
      loss,
      4,
      -1,
    );
    assertEquals(b, a, name);
  }
});

// ---- memory ----

Deno.test("optimizer: a step allocates no tensors", () => {
  for (const [name, Opt, options] of FUSED) {
    const { params, loss } = problem([7, 1000]);
    const ps = params();
    const opt = new Opt(ps, options);
    train(opt, ps, loss, 1); // the first step creates the state
    for (let k = 0; k < 3; k++) {
      opt.zeroGrad();
      loss(ps).backward();
      const before = tensorCount();
      opt.step();
      assertEquals(tensorCount(), before, `${name}: tensors created by step()`);
    }
  }
});

// ---- kernels ----

Deno.test("optimizer: SIMD main loop and tail agree (lengths 0, 1, 3, 4, 5, 17)", () => {
  // the same elements as one parameter (vector loop + tail) and as
  // one-element parameters (tail only) must follow identical trajectories
  for (const [name, Opt, options] of FUSED) {
    for (const n of [0, 1, 3, 4, 5, 17]) {
      const { params, loss, data } = problem([n], n + 3);
      const whole = params();
      const a = train(new Opt(whole, options), whole, loss, 3);
      assert(a.every((x) => x.length === n), name);
      if (n === 0) continue;
      const { w, a: ca, b: cb } = data[0];
      const pieces = w.map((v) => tensor([v], { requiresGrad: true }));
      const pieceLoss = (ps: Tensor[]) =>
        ps.map((p, i) => p.mul(ca[i]).sub(cb[i]).pow(2).sum())
          .reduce((x, y) => x.add(y));
      const b = train(new Opt(pieces, options), pieces, pieceLoss, 3);
      for (let k = 0; k < 3; k++) {
        const joined = Float32Array.from(
          b.slice(k * n, (k + 1) * n),
          (x) => x[0],
        );
        assertEquals(joined, a[k], `${name}, length ${n}, step ${k}`);
      }
    }
  }
});

// ---- state dicts ----

Deno.test("optimizer: stateDict survives JSON and resuming gives the same trajectory", () => {
  const all: [string, Ctor, Record<string, unknown>][] = [
    ...FUSED,
    ["LBFGS", optim.LBFGS as Ctor, { lr: 0.5, maxIter: 3, historySize: 4 }],
    ["LBFGS strong_wolfe", optim.LBFGS as Ctor, {
      maxIter: 4,
      lineSearchFn: "strong_wolfe",
    }],
  ];
  for (const [name, Opt, options] of all) {
    const { params, loss } = problem([6, 2]);
    const isLbfgs = name.startsWith("LBFGS");
    const run = (opt: optim.Optimizer, ps: Tensor[], steps: number) => {
      const out: Float32Array[] = [];
      for (let k = 0; k < steps; k++) {
        if (isLbfgs) {
          opt.step(() => {
            opt.zeroGrad();
            const l = loss(ps);
            l.backward();
            return l;
          });
        } else {
          opt.zeroGrad();
          loss(ps).backward();
          opt.step();
        }
        out.push(...ps.map((p) => p.toFloat32Array()));
      }
      return out;
    };
    const ps = params();
    const opt = new Opt(ps, options);
    run(opt, ps, 3);
    const saved = JSON.stringify(opt.stateDict());
    const values = ps.map((p) => p.toFloat32Array());
    const expected = run(opt, ps, 4);

    // a fresh model and optimizer, resumed from the JSON
    const ps2 = values.map((v) => tensor(v, { requiresGrad: true }));
    const opt2 = new Opt(ps2, options);
    opt2.loadStateDict(JSON.parse(saved));
    assertEquals(run(opt2, ps2, 4), expected, name);
  }
});

Deno.test("optimizer: stateDict numbers parameters as PyTorch does", () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([[3]], { requiresGrad: true });
  const c = tensor([4], { requiresGrad: true });
  const opt = new optim.Adam([{ params: [a, b] }, { params: [c], lr: 0.1 }], {
    amsgrad: true,
  });
  a.sum().add(b.sum()).backward(); // c has no gradient: no state
  opt.step();
  const sd = JSON.parse(JSON.stringify(opt.stateDict()));
  assertEquals(Object.keys(sd.state), ["0", "1"]);
  assertEquals(sd.paramGroups.map((g: { params: number[] }) => g.params), [[
    0,
    1,
  ], [2]]);
  assertEquals(sd.paramGroups[1].lr, 0.1);
  assertEquals(sd.paramGroups[0].betas, [0.9, 0.999]);
  assertEquals(sd.state["0"].step, 1);
  assertEquals(sd.state["1"].expAvg.shape, [1, 1]);
  assertEquals(Object.keys(sd.state["0"]), [
    "step",
    "expAvg",
    "expAvgSq",
    "maxExpAvgSq",
  ]);
  assertClose(sd.state["0"].expAvg.data, [0.1, 0.1], 1e-6, 1e-7);
  // the dict is a copy: stepping again does not change it
  opt.step();
  assertEquals(sd.state["0"].step, 1);
  assertEquals(opt.stateDict().state["0"].step, 2);
});

Deno.test("optimizer: loadStateDict checks everything before changing anything", () => {
  const make = () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([a], { lr: 0.1, momentum: 0.9 });
    a.sum().backward();
    opt.step();
    return opt;
  };
  const opt = make();
  const good = opt.stateDict();
  const before = JSON.stringify(good);
  assertThrows(
    () =>
      opt.loadStateDict({
        ...good,
        paramGroups: [...good.paramGroups, good.paramGroups[0]],
      }),
    RangeError,
    "loaded state dict has a different number of parameter groups",
  );
  assertThrows(
    () =>
      opt.loadStateDict({
        ...good,
        paramGroups: [{ ...good.paramGroups[0], params: [0, 1] }],
      }),
    RangeError,
    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
  );
  assertThrows(
    () =>
      opt.loadStateDict({
        ...good,
        state: { "0": { momentumBuffer: { shape: [3], data: [1, 2, 3] } } },
      }),
    RangeError,
    "'momentumBuffer' has shape [3] but the parameter has shape [2]",
  );
  assertThrows(
    () =>
      opt.loadStateDict({
        ...good,
        paramGroups: [{ ...good.paramGroups[0], lr: -1 }],
      }),
    RangeError,
    "Invalid learning rate: -1.0",
  );
  assertEquals(JSON.stringify(opt.stateDict()), before);
  // hyperparameters come from the saved groups, as in PyTorch
  const other = make();
  other.loadStateDict({
    ...good,
    paramGroups: [{ ...good.paramGroups[0], lr: 0.5 }],
  });
  assertEquals(other.paramGroups[0].lr, 0.5);
});
