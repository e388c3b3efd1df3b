// Layers and the functional forms beyond the fixture: Linear's init bounds,
// reproducibility, math and shape errors; Dropout in train and eval;
// softmax/logSoftmax against float64 references and their gradients;
// cross-entropy's other target forms; and every bad-input error, thrown
// before anything is allocated.
import {
  manualSeed,
  memoryStats,
  nn,
  ones,
  type Tensor,
  tensor,
  zeros,
} from "../../mod.ts";
import { assert, assertClose, assertEquals, assertThrows } from "../_assert.ts";

const F = nn.functional;
const values = (t: Tensor) => Array.from(t.toFloat32Array());

/** Asserts `fn` throws `cls` mentioning `includes`, allocating no tensor. */
function assertCleanThrow(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => Error,
  includes: string,
): void {
  const before = memoryStats().allocatedTensors;
  assertThrows(fn, cls, includes);
  assertEquals(
    memoryStats().allocatedTensors - before,
    0,
    `${includes}: allocated`,
  );
}

Deno.test("Linear: init uniform in +-1/sqrt(inFeatures), reproducible with manualSeed", () => {
  for (const [inF, outF] of [[1, 1], [3, 5], [64, 40], [400, 3]]) {
    const bound = 1 / Math.sqrt(inF);
    const layer = new nn.Linear(inF, outF);
    assertEquals([...layer.weight.shape], [outF, inF]);
    assertEquals([...layer.bias!.shape], [outF]);
    const w = values(layer.weight), b = values(layer.bias!);
    assert(w.every((v) => Math.abs(v) <= bound), `weight within ${bound}`);
    assert(b.every((v) => Math.abs(v) <= bound), `bias within ${bound}`);
    if (w.length >= 1000) {
      // uniform, not a narrower law: extremes near the bound, mean near 0
      assert(Math.max(...w.map(Math.abs)) > 0.95 * bound);
      const mean = w.reduce((s, v) => s + v, 0) / w.length;
      assert(Math.abs(mean) < 0.1 * bound, `mean ${mean}`);
      const meanSq = w.reduce((s, v) => s + v * v, 0) / w.length;
      assertClose(
        [meanSq],
        [bound * bound / 3],
        0.1,
        0,
        "variance of U(-b, b)",
      );
    }
  }
  manualSeed(42);
  const a = new nn.Linear(4, 3);
  manualSeed(42);
  const b = new nn.Linear(4, 3);
  assertEquals(values(a.weight), values(b.weight));
  assertEquals(values(a.bias!), values(b.bias!));
  const c = new nn.Linear(4, 3);
  assert(values(c.weight).some((v, i) => v !== values(a.weight)[i]));
  // resetParameters redraws in place
  const w = a.weight;
  a.resetParameters();
  assert(a.weight === w);
  assert(values(a.weight).some((v, i) => v !== values(b.weight)[i]));
  // zero input features: no division by zero, an empty weight
  const empty = new nn.Linear(0, 2);
  assertEquals(values(empty.bias!), [0, 0]);
  assertEquals(empty.call(zeros(3, 0)).toArray(), [[0, 0], [0, 0], [0, 0]]);
});

Deno.test("Linear: y = x W^T + b for 1-D, 2-D and batched inputs; bias false", () => {
  const layer = new nn.Linear(3, 2);
  const W = layer.weight.toArray() as number[][];
  const B = values(layer.bias!);
  const rows = [[1, -2, 0.5], [3, 0.25, -1], [0, 0, 2], [-1, 1, 1]];
  const expected = rows.map((r) =>
    W.map((w, o) => w.reduce((s, v, k) => s + v * r[k], B[o]))
  );
  assertClose(
    values(layer.call(tensor(rows))),
    expected.flat(),
    1e-6,
    1e-6,
    "2-D",
  );
  const batched = layer.call(tensor(rows, { shape: [2, 2, 3] }));
  assertEquals([...batched.shape], [2, 2, 2]);
  assertClose(values(batched), expected.flat(), 1e-6, 1e-6, "3-D");
  const single = layer.call(tensor(rows[1]));
  assertEquals([...single.shape], [2]);
  assertClose(values(single), expected[1], 1e-6, 1e-6, "1-D");

  const noBias = new nn.Linear(3, 2, { bias: false });
  assertEquals(noBias.bias, null);
  assertEquals(noBias.parameters().length, 1);
  assertEquals(
    String(noBias),
    "Linear(in_features=3, out_features=2, bias=False)",
  );

  // gradients: dW = g^T x, db = sum g
  const x = tensor(rows);
  layer.call(x).sum().backward();
  const gw = rows.reduce((acc, r) => acc.map((s, k) => s + r[k]), [0, 0, 0]);
  assertClose(values(layer.weight.grad!), [...gw, ...gw], 1e-6, 1e-6, "dW");
  assertEquals(values(layer.bias!.grad!), [4, 4]);
});

Deno.test("Linear: PyTorch's shape error, nothing allocated", () => {
  const layer = new nn.Linear(3, 1), wide = new nn.Linear(4, 5);
  const x32 = zeros(3, 2), x253 = zeros(2, 5, 3), scalar = tensor(1);
  const x23 = zeros(2, 3), w13 = zeros(1, 3), b2 = zeros(2);
  assertCleanThrow(
    () => layer.call(x32),
    RangeError,
    "mat1 and mat2 shapes cannot be multiplied (3x2 and 3x1)",
  );
  assertCleanThrow(
    () => wide.call(x253),
    RangeError,
    "mat1 and mat2 shapes cannot be multiplied (10x3 and 4x5)",
  );
  assertCleanThrow(() => layer.call(scalar), RangeError, "at least 1D");
  assertCleanThrow(
    () => new nn.Linear(-1, 2),
    RangeError,
    "non-negative integer",
  );
  assertCleanThrow(
    () => new nn.Linear(2, 1.5),
    RangeError,
    "non-negative integer",
  );
  assertCleanThrow(
    () => F.linear(x23, w13, b2),
    RangeError,
    "bias must have shape [1]",
  );
  assertCleanThrow(
    () => F.linear([[1]] as never, w13),
    TypeError,
    "argument 'input' must be Tensor",
  );
});

Deno.test("Dropout: scales kept values by 1/(1-p) in training, identity in eval", () => {
  manualSeed(7);
  const p = 0.3, n = 20000;
  const drop = new nn.Dropout(p);
  const x = tensor(new Float32Array(n).fill(1), { requiresGrad: true });
  const y = drop.call(x);
  const out = values(y);
  const scale = Math.fround(1 / (1 - p));
  assert(out.every((v) => v === 0 || v === scale), "only 0 or 1/(1-p)");
  const zeroFraction = out.filter((v) => v === 0).length / n;
  assert(Math.abs(zeroFraction - p) < 0.02, `zero fraction ${zeroFraction}`);
  // the gradient is the same mask
  y.sum().backward();
  assertEquals(values(x.grad!), out);
  // same seed, same mask
  manualSeed(7);
  assertEquals(values(drop.call(x)), out);

  drop.eval();
  assert(drop.call(x) === x, "eval returns the input");
  assert(F.dropout(x, 0.5, { training: false }) === x);
  assert(F.dropout(x, 0) === x);
  assert(values(F.dropout(ones(5), 1)).every((v) => v === 0));
  assertCleanThrow(
    () => new nn.Dropout(1.5),
    RangeError,
    "dropout probability has to be between 0 and 1, but got 1.5",
  );
  assertCleanThrow(() => F.dropout(x, -0.1), RangeError, "but got -0.1");
  assertCleanThrow(() => F.dropout(x, NaN), RangeError, "but got NaN");
});

/** float64 softmax of each row of `rows`. */
function softmaxRef(rows: number[][]): number[][] {
  return rows.map((r) => {
    const m = Math.max(...r);
    const e = r.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

Deno.test("softmax/logSoftmax: float64 reference, stable for large logits, both dims", () => {
  const rows = [[1, 2, 3, 4], [-1, 0.5, 0, 2], [1000, 1001, 999, 1000], [
    -1e4,
    0,
    3,
    -50,
  ]];
  const x = tensor(rows);
  const ref = softmaxRef(rows);
  assertClose(values(F.softmax(x, 1)), ref.flat(), 1e-6, 1e-7, "softmax dim 1");
  assertClose(
    values(new nn.Softmax(-1).call(x)),
    ref.flat(),
    1e-6,
    1e-7,
    "Softmax(-1)",
  );
  assertClose(
    values(F.logSoftmax(x, 1)),
    ref.flat().map(Math.log),
    1e-6,
    1e-5,
    "logSoftmax",
  );
  assertClose(
    values(new nn.LogSoftmax(1).call(x)),
    ref.flat().map(Math.log),
    1e-6,
    1e-5,
    "LogSoftmax",
  );
  // along dim 0: the transpose's rows
  const cols = rows[0].map((_, j) => rows.map((r) => r[j]));
  const refT = softmaxRef(cols);
  const s0 = F.softmax(x, 0).toArray() as number[][];
  assertClose(
    s0.flat(),
    rows.flatMap((_, i) => refT.map((c) => c[i])),
    1e-6,
    1e-7,
    "dim 0",
  );
  // 1-D and a -inf (masked) logit
  const masked = values(F.softmax(tensor([0, -Infinity, 0]), 0));
  assertEquals(masked, [0.5, 0, 0.5]);
});

Deno.test("softmax/logSoftmax: gradients match the analytic forms", () => {
  const rows = [[0.5, -1, 2], [3, 3, -2]];
  const g = [[1, 2, -1], [0.5, 0, 3]];
  const S = softmaxRef(rows);
  const x = tensor(rows, { requiresGrad: true });
  F.logSoftmax(x, 1).backward(tensor(g));
  // d logSoftmax: g - softmax * sum(g)
  const expectLog = g.map((gr, i) => {
    const s = gr.reduce((a, b) => a + b, 0);
    return gr.map((v, j) => v - S[i][j] * s);
  });
  assertClose(values(x.grad!), expectLog.flat(), 1e-5, 1e-6, "logSoftmax grad");
  const x2 = tensor(rows, { requiresGrad: true });
  F.softmax(x2, 1).backward(tensor(g));
  // d softmax: s * (g - sum(g * s))
  const expectSoft = g.map((gr, i) => {
    const dot = gr.reduce((a, v, j) => a + v * S[i][j], 0);
    return gr.map((v, j) => S[i][j] * (v - dot));
  });
  assertClose(values(x2.grad!), expectSoft.flat(), 1e-5, 1e-6, "softmax grad");
});

Deno.test("softmax without dim: PyTorch's implicit choice, with a warning", () => {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (m: string) => warnings.push(m);
  try {
    const x = tensor([[1, 2], [3, 5]]);
    assertEquals(values(F.softmax(x)), values(F.softmax(x, 1)));
    assertEquals(
      values(new nn.Softmax().call(tensor([1, 2]))),
      values(F.softmax(tensor([1, 2]), 0)),
    );
  } finally {
    console.warn = original;
  }
  assert(
    warnings.length <= 1 &&
      warnings.every((w) => w.includes("Implicit dimension choice")),
  );
  assertEquals(String(new nn.Softmax()), "Softmax(dim=None)");
});

Deno.test("activations, Flatten and Identity", () => {
  const x = tensor([[-2, 0.5], [3, -0.25]]);
  assertEquals(new nn.ReLU().call(x).toArray(), x.relu().toArray());
  assertEquals(F.relu(x).toArray(), [[0, 0.5], [3, 0]]);
  assertEquals(new nn.Sigmoid().call(x).toArray(), x.sigmoid().toArray());
  assertEquals(new nn.Tanh().call(x).toArray(), F.tanh(x).toArray());
  assertEquals(F.sigmoid(x).toArray(), x.sigmoid().toArray());
  assertEquals([...new nn.Flatten().call(zeros(2, 3, 4)).shape], [2, 12]);
  assertEquals([...new nn.Flatten(0, 1).call(zeros(2, 3, 4)).shape], [6, 4]);
  assert(new nn.Identity().call(x) === x);
});

Deno.test("crossEntropy: probability targets, K-dim inputs, unbatched input", () => {
  const logits = [[1, 2, 0.5], [0, -1, 3], [2, 2, 2], [0.5, 0, -0.5]];
  const targets = [1, 2, 0, 2];
  const x = tensor(logits);
  const y = tensor(targets);
  const oneHot = tensor(
    targets.map((t) => [0, 1, 2].map((c) => (c === t ? 1 : 0))),
  );
  for (const reduction of ["mean", "sum", "none"] as const) {
    assertClose(
      values(F.crossEntropy(x, oneHot, { reduction })),
      values(F.crossEntropy(x, y, { reduction })),
      1e-6,
      1e-6,
      `one-hot probabilities, ${reduction}`,
    );
    // with smoothing and no ignored targets the two forms agree too
    assertClose(
      values(F.crossEntropy(x, oneHot, { reduction, labelSmoothing: 0.2 })),
      values(F.crossEntropy(x, y, { reduction, labelSmoothing: 0.2 })),
      1e-6,
      1e-6,
      `smoothed, ${reduction}`,
    );
  }
  // float64 reference for the plain mean
  const ref = softmaxRef(logits).map((p, i) => -Math.log(p[targets[i]]));
  assertClose(
    values(F.crossEntropy(x, y)),
    [ref.reduce((a, b) => a + b) / 4],
    1e-6,
    1e-6,
    "mean",
  );

  // [N, C, d] equals the same rows laid out as [N*d, C]
  const k = tensor(logits, { shape: [2, 2, 3] }).transpose(1, 2); // [2, 3, 2]
  const kt = tensor([[1, 2], [2, 0]]);
  const flat = k.transpose(1, 2).reshape(4, 3);
  assertClose(
    values(F.crossEntropy(k, kt, { reduction: "none" })),
    values(F.crossEntropy(flat, tensor([1, 2, 2, 0]), { reduction: "none" })),
    1e-6,
    1e-6,
    "K-dim",
  );
  // [C] with a 0-d target equals [1, C] with [1]
  assertClose(
    values(F.crossEntropy(tensor(logits[1]), tensor(2))),
    values(F.crossEntropy(tensor([logits[1]]), tensor([2]))),
    1e-7,
    0,
    "unbatched",
  );
});

Deno.test("crossEntropy: a -inf logit outside the target stays finite; gradients of ignored rows are 0", () => {
  const x = tensor([[0, -Infinity, 1], [2, 0, -1]], { requiresGrad: true });
  const loss = new nn.CrossEntropyLoss({ labelSmoothing: 0 }).call(
    x,
    tensor([2, -100]),
  );
  assert(Number.isFinite(loss.item()), `${loss.item()}`);
  loss.backward();
  const g = values(x.grad!);
  assert(g.every(Number.isFinite), `${g}`);
  assertEquals(g.slice(3), [0, 0, 0]);
});

Deno.test("binaryCrossEntropy: inputs of exactly 0 and 1 give PyTorch's finite values", () => {
  const x = tensor([0, 1, 0, 1], { requiresGrad: true });
  const y = tensor([0, 0, 1, 1]);
  const loss = F.binaryCrossEntropy(x, y, { reduction: "none" });
  assertClose(values(loss), [0, 100, 100, 0], 0, 0, "loss");
  loss.sum().backward();
  // PyTorch: (x - y) / max(x (1 - x), 1e-12)
  assertClose(values(x.grad!), [0, 1e12, -1e12, 0], 1e-6, 0, "grad");
  // weight rescales each element
  const w = tensor([1, 2, 3, 4]);
  assertClose(
    values(
      new nn.BCELoss({ weight: w, reduction: "sum" }).call(
        tensor([0.5, 0.5, 0.5, 0.5]),
        y,
      ),
    ),
    [Math.LN2 * 10],
    1e-6,
    0,
    "weighted",
  );
});

Deno.test("loss modules keep weights as buffers, in the state dict", () => {
  const ce = new nn.CrossEntropyLoss({ weight: tensor([1, 2]) });
  assertEquals(Object.keys(ce.stateDict()), ["weight"]);
  const bce = new nn.BCEWithLogitsLoss({ posWeight: tensor([3]) });
  assertEquals(Object.keys(bce.stateDict()), ["posWeight"]);
  assertEquals(Object.keys(new nn.MSELoss().stateDict()), []);
});

Deno.test("losses: bad input throws in PyTorch's words before allocating", () => {
  const a = zeros(3, 1), b = zeros(3);
  const half = tensor([0.5, 0.5]), tooBig = tensor([0.5, 1.5]);
  const withNaN = tensor([0.5, NaN]), y01 = tensor([0, 1]), w3 = zeros(3);
  assertCleanThrow(
    () => new nn.MSELoss().call(a, b),
    RangeError,
    "Using a target size ([3]) that is different to the input size ([3, 1])",
  );
  assertCleanThrow(
    () => F.l1Loss(a, b),
    RangeError,
    "([3]) that is different to the input size ([3, 1])",
  );
  assertCleanThrow(
    () => new nn.BCELoss().call(a, b),
    RangeError,
    "Please ensure they have the same size",
  );
  assertCleanThrow(
    () => F.binaryCrossEntropyWithLogits(a, b),
    RangeError,
    "Target size ([3]) must be the same as input size ([3, 1])",
  );
  for (
    const make of [
      () => new nn.MSELoss({ reduction: "avg" as never }),
      () => new nn.L1Loss({ reduction: "avg" as never }),
      () => new nn.BCELoss({ reduction: "avg" as never }),
      () => new nn.BCEWithLogitsLoss({ reduction: "avg" as never }),
      () => new nn.CrossEntropyLoss({ reduction: "avg" as never }),
      () => F.mseLoss(a, a, { reduction: "avg" as never }),
    ]
  ) {
    assertCleanThrow(
      make,
      RangeError,
      "avg is not a valid value for reduction",
    );
  }
  assertCleanThrow(
    () => F.binaryCrossEntropy(tooBig, y01),
    RangeError,
    "all elements of input should be between 0 and 1",
  );
  assertCleanThrow(
    () => F.binaryCrossEntropy(withNaN, y01),
    RangeError,
    "between 0 and 1",
  );
  assertCleanThrow(
    () => F.binaryCrossEntropy(half, y01, { weight: w3 }),
    RangeError,
    "weight of shape [3] does not broadcast",
  );
  assertCleanThrow(
    () => F.mseLoss(a, 3 as never),
    TypeError,
    "argument 'target' must be Tensor",
  );

  const logits = zeros(4, 3),
    logits3 = zeros(2, 3, 4),
    s1 = tensor(1),
    s0 = tensor(0);
  const t5 = tensor([0, 1, 5, 2]),
    tNeg = tensor([0, -1, 1, 2]),
    tFrac = tensor([0, 1.5, 1, 2]);
  const t3 = tensor([0, 1, 2]),
    tk = tensor([[0, 1, 2], [0, 1, 2]]),
    tOk = tensor([0, 1, 2, 0]);
  const w2 = ones(2), probs = zeros(4, 3);
  const ce = new nn.CrossEntropyLoss();
  assertCleanThrow(
    () => ce.call(logits, t5),
    RangeError,
    "Target 5 is out of bounds.",
  );
  assertCleanThrow(
    () => ce.call(logits, tNeg),
    RangeError,
    "Target -1 is out of bounds.",
  );
  assertCleanThrow(() => ce.call(logits, tFrac), TypeError, "integers");
  assertCleanThrow(
    () => ce.call(logits, t3),
    RangeError,
    "Expected input batch_size (4) to match target batch_size (3).",
  );
  assertCleanThrow(
    () => ce.call(logits3, tk),
    RangeError,
    "Expected target size [2, 4], got [2, 3]",
  );
  assertCleanThrow(
    () => ce.call(s1, s0),
    RangeError,
    "Expected 1 or more dimensions (got 0)",
  );
  assertCleanThrow(
    () => F.crossEntropy(logits, tOk, { weight: w2 }),
    RangeError,
    "weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [2]",
  );
  assertCleanThrow(
    () => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 }),
    RangeError,
    "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
  );
  assertCleanThrow(
    () => F.crossEntropy(logits, probs, { ignoreIndex: 0 }),
    RangeError,
    "ignore_index is not supported for floating point target",
  );
});
