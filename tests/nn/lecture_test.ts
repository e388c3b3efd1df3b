// The lecture's script written the PyTorch way with nn (a LinearModel
// subclass, MSELoss with the legacy sizeAverage flag), trained by plain
// gradient descent written out by hand, so that only nn and autograd are
// under test: every plain-SGD run of the regression fixture is reproduced
// (every epoch's loss, the final parameters and the prediction).
import { nn, noGrad, type Tensor } from "../../mod.ts";
import { assert, assertClose, assertEquals } from "../_assert.ts";
import { type FixtureTensor, fromFixture, loadFixture } from "../_fixtures.ts";

interface RegressionCase {
  name: string;
  x: FixtureTensor;
  y: FixtureTensor;
  x_test: FixtureTensor;
  model: { type: string; in_features: number; out_features: number };
  initial: { weight: FixtureTensor; bias: FixtureTensor };
  criterion: string;
  reduction: string;
  optimizer: string;
  optimizer_hyperparameters: Record<string, unknown>;
  epochs: number;
  losses: number[];
  final: { weight: FixtureTensor; bias: FixtureTensor };
  prediction: FixtureTensor;
}

const fixture = loadFixture<{ cases: RegressionCase[] }>(
  "torch/seed_linear_regression.json",
);
const TOL = 1e-5;

/** Plain SGD: no momentum, decay, nesterov or maximize (what a hand step does). */
function isPlainSgd(c: RegressionCase): boolean {
  const h = c.optimizer_hyperparameters;
  return c.optimizer.startsWith("torch.optim.SGD(") && !h.momentum &&
    !h.dampening && !h.weight_decay && !h.nesterov && !h.maximize;
}

const plain = fixture.cases.filter(isPlainSgd);

Deno.test("lecture: the fixture has a plain SGD run", () => {
  assert(plain.length > 0);
});

for (const c of plain) {
  Deno.test(`lecture: ${c.name} with nn.Linear, nn.MSELoss and hand-written SGD`, () => {
    const { in_features: inF, out_features: outF } = c.model;
    class LinearModel extends nn.Module {
      linear = new nn.Linear(inF, outF);
      override forward(x: Tensor): Tensor {
        return this.linear.call(x);
      }
    }
    const model = new LinearModel();
    model.loadStateDict({
      "linear.weight": fromFixture(c.initial.weight),
      "linear.bias": fromFixture(c.initial.bias),
    });
    // the lecture writes MSELoss(size_average=False); the case says what it resolves to
    const legacy = /size_average=(True|False)/.exec(c.criterion);
    const original = console.warn;
    console.warn = () => {};
    let criterion: nn.MSELoss;
    try {
      criterion = legacy
        ? new nn.MSELoss({ sizeAverage: legacy[1] === "True" })
        : new nn.MSELoss({ reduction: c.reduction as nn.Reduction });
    } finally {
      console.warn = original;
    }
    assertEquals(criterion.reduction, c.reduction);

    const lr = c.optimizer_hyperparameters.lr as number;
    const x = fromFixture(c.x), y = fromFixture(c.y);
    const losses: number[] = [];
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      const loss = criterion.call(model.call(x), y);
      losses.push(loss.item());
      model.zeroGrad();
      loss.backward();
      noGrad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!, { alpha: lr });
      });
    }
    assertClose(losses, c.losses, TOL, TOL, "losses");
    assertClose(
      model.linear.weight.toFloat32Array(),
      c.final.weight.data,
      TOL,
      TOL,
      "weight",
    );
    assertClose(
      model.linear.bias!.toFloat32Array(),
      c.final.bias.data,
      TOL,
      TOL,
      "bias",
    );
    assertClose(
      model.call(fromFixture(c.x_test)).toFloat32Array(),
      c.prediction.data,
      TOL,
      TOL,
      "prediction",
    );
  });
}
