// nn.Module: discovery of parameters, buffers and submodules (definition
// order, dotted names, nesting, sharing, cycles), call() with hooks, modes,
// zeroGrad, state dicts (round trip, strict errors reported at once with the
// model unchanged), the PyTorch-style repr, and the containers.
import { nn, noGrad, ones, type Tensor, tensor, zeros } from "../../mod.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

class Block extends nn.Module {
  fc1 = new nn.Linear(2, 3);
  act = new nn.ReLU();
  fc2 = new nn.Linear(3, 2, { bias: false });
  scale = new nn.Parameter(ones(1));
  override forward(x: Tensor): Tensor {
    return this.fc2.call(this.act.call(this.fc1.call(x))).mul(this.scale);
  }
}

class Net extends nn.Module {
  first = new nn.Parameter(zeros(2));
  block = new Block();
  // plain tensors and plain arrays of modules are not discovered, as in PyTorch
  notAParameter = tensor([1, 2], { requiresGrad: true });
  plainArray = [new nn.Linear(1, 1)];
  layers = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 1)]);
  override forward(x: Tensor): Tensor {
    let h = this.block.call(x.add(this.first));
    for (const layer of this.layers) h = layer.call(h);
    return h;
  }
}

const values = (t: Tensor) => Array.from(t.toFloat32Array());

function snapshot(m: nn.Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = values(t);
  return out;
}

Deno.test("discovery: parameters in definition order with dotted names", () => {
  const net = new Net();
  // as PyTorch: each module's own parameters, then its submodules', depth first
  assertEquals(net.namedParameters().map(([n]) => n), [
    "first",
    "block.scale",
    "block.fc1.weight",
    "block.fc1.bias",
    "block.fc2.weight",
    "layers.0.weight",
    "layers.0.bias",
    "layers.1.weight",
    "layers.1.bias",
  ]);
  const params = net.parameters();
  assertEquals(params.length, 9);
  assert(params[2] === net.block.fc1.weight, "the parameter itself");
  assert(params.every((p) => p instanceof nn.Parameter && p.requiresGrad));
  assertEquals(
    net.parameters({ recurse: false }).map((p) => p === net.first),
    [true],
  );
  assertEquals(
    net.block.namedParameters({ prefix: "b" }).map(([n]) => n),
    ["b.scale", "b.fc1.weight", "b.fc1.bias", "b.fc2.weight"],
  );
});

Deno.test("discovery: modules, children, named modules", () => {
  const net = new Net();
  assertEquals(net.namedModules().map(([n]) => n), [
    "",
    "block",
    "block.fc1",
    "block.act",
    "block.fc2",
    "layers",
    "layers.0",
    "layers.1",
  ]);
  assertEquals(net.namedChildren().map(([n]) => n), ["block", "layers"]);
  assert(net.children()[0] === net.block);
  assert(net.modules()[0] === net);
  assertEquals(net.modules().length, 8);
  assert(net.modules().every((m) => m instanceof nn.Module));
});

Deno.test("discovery: shared modules and parameters are listed once; cycles end", () => {
  class Tied extends nn.Module {
    a = new nn.Linear(2, 2);
    b = this.a;
    w = this.a.weight;
  }
  const m = new Tied();
  assertEquals(m.namedModules().map(([n]) => n), ["", "a"]);
  // `w` is Tied's own parameter, so it comes first; a.weight is the same one
  assertEquals(m.namedParameters().map(([n]) => n), ["w", "a.bias"]);
  // a state dict lists every name, as PyTorch's does
  assertEquals(Object.keys(m.stateDict()), [
    "w",
    "a.weight",
    "a.bias",
    "b.weight",
    "b.bias",
  ]);

  class Child extends nn.Module {
    w = new nn.Parameter(ones(1));
    parent: nn.Module | null = null;
  }
  class Parent extends nn.Module {
    child = new Child();
  }
  const p = new Parent();
  p.child.parent = p;
  assertEquals(p.namedModules().map(([n]) => n), ["", "child"]);
  assertEquals(Object.keys(p.stateDict()), ["child.w"]);
  assertEquals(p.parameters().length, 1);
});

Deno.test("call: forwards all arguments, including an options object", () => {
  class Scaled extends nn.Module {
    override forward(
      x: Tensor,
      y: Tensor,
      opts: { scale?: number } = {},
    ): Tensor {
      return x.add(y).mul(opts.scale ?? 1);
    }
  }
  const m = new Scaled();
  assertEquals(m.call(tensor([1]), tensor([2]), { scale: 3 }).toArray(), [9]);
  assertEquals(m.call(tensor([1]), tensor([2])).toArray(), [3]);
  assertThrows(
    () => new nn.Module().call(tensor(1)),
    Error,
    'Module [Module] is missing the required "forward" function',
  );
});

Deno.test("call: typed by the subclass's forward", () => {
  const lin = new nn.Linear(1, 1);
  const y: Tensor = lin.call(tensor([[1]]));
  assertEquals([...y.shape], [1, 1]);
  // @ts-expect-error: Linear.forward takes a Tensor
  assertThrows(() => lin.call("x"), TypeError, "must be Tensor");
  // @ts-expect-error: and only one
  lin.call(tensor([[1]]), tensor([[2]]));
  const crit = new nn.MSELoss();
  // @ts-expect-error: a loss takes input and target
  assertThrows(() => crit.call(tensor([1])), TypeError);
});

Deno.test("hooks: a pre-hook replaces the arguments, a hook replaces the output, remove() undoes", () => {
  const lin = new nn.Linear(1, 1);
  noGrad(() => {
    lin.weight.fill_(2);
    lin.bias!.fill_(1);
  });
  const x = tensor([[1], [2]]);
  assertEquals(lin.call(x).toArray(), [[3], [5]]);

  const seen: string[] = [];
  const pre = lin.registerForwardPreHook((m, args) => {
    assert(m === lin);
    seen.push(`pre ${args[0].shape}`);
    return [args[0].mul(10)];
  });
  const post = lin.registerForwardHook((m, args, out) => {
    assert(m === lin);
    seen.push(`post ${values(args[0])}`);
    return out.neg();
  });
  // a hook that returns nothing leaves the output alone
  const watch = lin.registerForwardHook((_m, _args, out) => {
    seen.push(`watch ${values(out)}`);
  });
  assertEquals(lin.call(x).toArray(), [[-21], [-41]]);
  assertEquals(seen, ["pre 2,1", "post 10,20", "watch -21,-41"]);
  assert(pre.id !== post.id && post.id !== watch.id);

  post.remove();
  assertEquals(lin.call(x).toArray(), [[21], [41]]);
  pre.remove();
  pre.remove(); // a second remove does nothing
  assertEquals(lin.call(x).toArray(), [[3], [5]]);
  watch.remove();
  seen.length = 0;
  lin.call(x);
  assertEquals(seen, []);
});

Deno.test("hooks: a pre-hook's non-array result is the single argument; gradients flow through hooks", () => {
  const m = new nn.Identity();
  const h = m.registerForwardPreHook(
    (_m, args) => args[0].add(1) as unknown as [Tensor],
  );
  const x = tensor([1, 2], { requiresGrad: true });
  const y = m.call(x);
  assertEquals(y.toArray(), [2, 3]);
  y.sum().backward();
  assertEquals(x.grad!.toArray(), [1, 1]);
  h.remove();
  assert(m.call(x) === x);
  assertThrows(
    () => m.registerForwardHook(42 as never),
    TypeError,
    "must be a function",
  );
});

Deno.test("hooks on a submodule run when the parent calls it", () => {
  const net = new Net();
  let calls = 0;
  net.block.fc1.registerForwardHook(() => {
    calls++;
  });
  net.call(zeros(4, 2));
  net.call(zeros(1, 2));
  assertEquals(calls, 2);
});

Deno.test("train/eval propagate to every submodule; Dropout follows", () => {
  class WithDropout extends nn.Module {
    inner = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.9));
    override forward(x: Tensor): Tensor {
      return this.inner.call(x);
    }
  }
  const m = new WithDropout();
  assert(m.modules().every((s) => s.training));
  assert(m.eval() === m);
  assert(m.modules().every((s) => !s.training));
  const x = ones(3, 4);
  assertEquals(
    m.call(x).toArray(),
    m.call(x).toArray(),
    "deterministic in eval",
  );
  m.train();
  assert(m.modules().every((s) => s.training));
  m.train(false);
  assert(m.modules().every((s) => !s.training));
  assertThrows(
    () => m.train("yes" as never),
    TypeError,
    "expected to be boolean",
  );
  assert(!m.training, "a refused train() changes nothing");
});

Deno.test("zeroGrad: to null by default, to zeros with setToNone false", () => {
  const net = new Net();
  const run = () => net.call(ones(3, 2)).sum().backward();
  run();
  assert(net.parameters().every((p) => p.grad !== null));
  net.zeroGrad();
  assert(net.parameters().every((p) => p.grad === null));
  run();
  net.zeroGrad({ setToNone: false });
  for (const p of net.parameters()) {
    assertEquals([...p.grad!.shape], [...p.shape]);
    assert(values(p.grad!).every((v) => v === 0));
  }
});

Deno.test("buffers: registered, listed, saved when persistent, validated", () => {
  class Norm extends nn.Module {
    weight = new nn.Parameter(ones(3));
    declare runningMean: Tensor;
    scratch = this.registerBuffer("scratch", zeros(2), { persistent: false });
    constructor() {
      super();
      this.registerBuffer("runningMean", zeros(3));
    }
  }
  const m = new Norm();
  assert(m.runningMean instanceof Object && m.runningMean.shape[0] === 3);
  assertEquals(m.namedBuffers().map(([n]) => n), ["scratch", "runningMean"]);
  assertEquals(m.buffers().length, 2);
  assertEquals(Object.keys(m.stateDict()), ["weight", "runningMean"]);
  // buffers are not parameters
  assertEquals(m.namedParameters().map(([n]) => n), ["weight"]);
  // reassigning the property updates the buffer
  m.runningMean = ones(3);
  assertEquals(values(m.stateDict().runningMean), [1, 1, 1]);

  assertThrows(
    () => m.registerBuffer("a.b", zeros(1)),
    RangeError,
    'can\'t contain "."',
  );
  assertThrows(
    () => m.registerBuffer("", zeros(1)),
    RangeError,
    "empty string",
  );
  assertThrows(
    () => m.registerBuffer("weight", zeros(1)),
    RangeError,
    "attribute 'weight' already exists",
  );
  assertThrows(
    () => m.registerBuffer("forward", zeros(1)),
    RangeError,
    "already exists",
  );
  assertThrows(
    () => m.registerBuffer("bad", [1, 2] as never),
    TypeError,
    "cannot assign 'Array' object to buffer 'bad'",
  );
  assert(!("bad" in m), "a refused buffer is not set");
  assertEquals(m.namedBuffers().length, 2);
});

Deno.test("registerParameter and addModule set discoverable properties", () => {
  const m = new nn.Module();
  m.registerParameter("w", new nn.Parameter(zeros(2)));
  m.addModule("head", new nn.Linear(2, 1));
  m.registerParameter("unused", null);
  // a null slot can be filled later, as PyTorch's register_parameter(name, None)
  m.registerParameter("unused", new nn.Parameter(ones(1)));
  m.registerParameter("unused", null);
  assertEquals(m.namedParameters().map(([n]) => n), [
    "w",
    "head.weight",
    "head.bias",
  ]);
  assertThrows(
    () => m.registerParameter("t", zeros(1) as never),
    TypeError,
    "nn.Parameter or null required",
  );
  assertThrows(
    () => m.addModule("x", {} as never),
    TypeError,
    "is not a Module subclass",
  );
  assertThrows(
    () => m.registerParameter("head", new nn.Parameter(zeros(1))),
    RangeError,
    "already exists",
  );
});

Deno.test("stateDict: ordered, shares storage, detached; round trip restores outputs", () => {
  const a = new Net(), b = new Net();
  const sd = a.stateDict();
  assertEquals(Object.keys(sd), a.namedParameters().map(([n]) => n));
  assert(sd["block.fc1.weight"].requiresGrad === false, "detached");
  assert(
    a.stateDict({ keepVars: true })["block.fc1.weight"] === a.block.fc1.weight,
  );
  assertEquals(
    Object.keys(a.stateDict({ prefix: "model." }))[0],
    "model.first",
  );

  const x = tensor([[0.5, -1], [2, 3]]);
  assert(
    JSON.stringify(a.call(x).toArray()) !== JSON.stringify(b.call(x).toArray()),
    "two fresh models differ",
  );
  const paramsBefore = b.parameters();
  const result = b.loadStateDict(sd);
  assertEquals(result, { missingKeys: [], unexpectedKeys: [] });
  assertEquals(b.call(x).toArray(), a.call(x).toArray());
  assertEquals(snapshot(b), snapshot(a));
  // loading copies into the same Parameter objects (optimizers keep them)
  assert(b.parameters().every((p, i) => p === paramsBefore[i]));
  // and copies: changing a afterwards does not change b
  noGrad(() => a.first.fill_(7));
  assert(values(b.first).every((v) => v !== 7));
  // a Map works too
  b.loadStateDict(new Map(Object.entries(a.stateDict())));
  assertEquals(values(b.first), [7, 7]);
});

Deno.test("loadStateDict strict: every problem in one error, model unchanged", () => {
  const m = new Net();
  const before = snapshot(m);
  const sd = new Net().stateDict();
  delete sd["block.fc1.bias"];
  delete sd["layers.1.bias"];
  sd["block.extra"] = zeros(1);
  sd["block.fc2.weight"] = zeros(5, 5);
  const err = assertThrows(() => m.loadStateDict(sd), Error);
  assertEquals(
    err.message,
    "Error(s) in loading state_dict for Net:\n" +
      '\tMissing key(s) in state_dict: "block.fc1.bias", "layers.1.bias". \n' +
      '\tUnexpected key(s) in state_dict: "block.extra". \n' +
      "\tsize mismatch for block.fc2.weight: copying a param with shape [5, 5] from checkpoint, the shape in current model is [2, 3].",
  );
  assertEquals(snapshot(m), before, "nothing was copied");

  // not strict: missing and unexpected keys are returned, the rest is loaded
  sd["block.fc2.weight"] = zeros(2, 3);
  const res = m.loadStateDict(sd, { strict: false });
  assertEquals(res, {
    missingKeys: ["block.fc1.bias", "layers.1.bias"],
    unexpectedKeys: ["block.extra"],
  });
  assert(values(m.block.fc2.weight).every((v) => v === 0));
  assertEquals(values(m.block.fc1.bias!), before["block.fc1.bias"]);

  // a shape mismatch is an error even when not strict
  const after = snapshot(m);
  sd["first"] = zeros(3);
  assertThrows(
    () => m.loadStateDict(sd, { strict: false }),
    Error,
    "size mismatch for first: copying a param with shape [3] from checkpoint, the shape in current model is [2].",
  );
  assertEquals(snapshot(m), after);
  assertThrows(
    () => m.loadStateDict({ ...m.stateDict(), first: [1, 2] as never }),
    Error,
    'While copying the parameter named "first", expected Tensor from checkpoint but received Array',
  );
  assertThrows(() => m.loadStateDict(null as never), TypeError, "dict-like");
  assertEquals(snapshot(m), after);
});

Deno.test("toString: PyTorch's module repr", () => {
  class LinearModel extends nn.Module {
    linear = new nn.Linear(1, 1);
    override forward(x: Tensor): Tensor {
      return this.linear.call(x);
    }
  }
  assertEquals(
    String(new LinearModel()),
    "LinearModel(\n  (linear): Linear(in_features=1, out_features=1, bias=True)\n)",
  );
  assertEquals(
    String(new Net()),
    [
      "Net(",
      "  (block): Block(",
      "    (fc1): Linear(in_features=2, out_features=3, bias=True)",
      "    (act): ReLU()",
      "    (fc2): Linear(in_features=3, out_features=2, bias=False)",
      "  )",
      "  (layers): ModuleList(",
      "    (0): Linear(in_features=2, out_features=2, bias=True)",
      "    (1): Linear(in_features=2, out_features=1, bias=True)",
      "  )",
      ")",
    ].join("\n"),
  );
  assertEquals(
    String(
      new nn.Sequential(
        new nn.Flatten(),
        new nn.Dropout(0.25),
        new nn.Softmax(-1),
        new nn.LogSoftmax(1),
        new nn.Sigmoid(),
        new nn.Tanh(),
        new nn.Identity(),
        new nn.MSELoss(),
      ),
    ),
    [
      "Sequential(",
      "  (0): Flatten(start_dim=1, end_dim=-1)",
      "  (1): Dropout(p=0.25, inplace=False)",
      "  (2): Softmax(dim=-1)",
      "  (3): LogSoftmax(dim=1)",
      "  (4): Sigmoid()",
      "  (5): Tanh()",
      "  (6): Identity()",
      "  (7): MSELoss()",
      ")",
    ].join("\n"),
  );
  // a multi-line extraRepr is indented like PyTorch's
  class Multi extends nn.Module {
    child = new nn.ReLU();
    override extraRepr(): string {
      return "a=1\nb=2";
    }
  }
  assertEquals(
    String(new Multi()),
    "Multi(\n  a=1\n  b=2\n  (child): ReLU()\n)",
  );
});

Deno.test("ModuleList: append, extend, insert, at, iteration, validation", () => {
  const a = new nn.Linear(1, 1), b = new nn.ReLU(), c = new nn.Tanh();
  const list = new nn.ModuleList<nn.Module>([a]);
  list.append(c).extend([]);
  list.insert(1, b);
  assertEquals(list.length, 3);
  assert(list[0] === a && list[1] === b && list[2] === c);
  assert(list.at(-1) === c);
  assertEquals([...list].map((m) => m.constructor.name), [
    "Linear",
    "ReLU",
    "Tanh",
  ]);
  list.insert(-10, new nn.Identity());
  assertEquals([...list].map((m) => m.constructor.name), [
    "Identity",
    "Linear",
    "ReLU",
    "Tanh",
  ]);
  assertEquals(list.namedParameters().map(([n]) => n), ["1.weight", "1.bias"]);
  assertThrows(() => list.at(4), RangeError, "out of range");
  assertThrows(() => list.append({} as never), TypeError, "expected a Module");
  assertThrows(
    () => list.extend([new nn.ReLU(), 3 as never]),
    TypeError,
    "expected a Module",
  );
  assertEquals(list.length, 4, "a refused extend adds nothing");
  assertThrows(
    () => list.call(zeros(1)),
    Error,
    'missing the required "forward"',
  );
});

Deno.test("Sequential: runs its modules in order; parameters are found", () => {
  const seq = new nn.Sequential(
    new nn.Linear(3, 4),
    new nn.ReLU(),
    new nn.Linear(4, 2),
  );
  const x = tensor([[1, -2, 3], [0.5, 0.25, -1]]);
  const manual = seq.at(2).call(seq.at(1).call(seq.at(0).call(x)));
  assertEquals(seq.call(x).toArray(), manual.toArray());
  assertEquals(seq.namedParameters().map(([n]) => n), [
    "0.weight",
    "0.bias",
    "2.weight",
    "2.bias",
  ]);
  seq.append(new nn.Sigmoid());
  assertEquals(seq.length, 4);
  assertThrows(
    () => new nn.Sequential(new nn.ReLU(), null as never),
    TypeError,
    "expected a Module",
  );
});

Deno.test("Parameter: shares the data's storage, requires grad, prints like PyTorch", () => {
  const data = tensor([[1, 2], [3, 4]]);
  const p = new nn.Parameter(data);
  assert(p.requiresGrad && p.isLeaf && p instanceof nn.Parameter);
  noGrad(() => p.fill_(5));
  assertEquals(data.toArray(), [[5, 5], [5, 5]]);
  assertEquals(
    String(new nn.Parameter(tensor([1.5]))),
    "Parameter containing:\ntensor([1.5000], requiresGrad=true)",
  );
  assertEquals(
    new nn.Parameter(zeros(1), { requiresGrad: false }).requiresGrad,
    false,
  );
  // a non-contiguous view is copied, so that in-place updates work
  const t = new nn.Parameter(tensor([[1, 2], [3, 4]]).t());
  assert(t.isContiguous());
  assertEquals(t.toArray(), [[1, 3], [2, 4]]);
  assertThrows(
    () => new nn.Parameter([1] as never),
    TypeError,
    "expects a Tensor",
  );
});
