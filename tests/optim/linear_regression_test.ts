// Both runs of the lecture's linear regression (1000 epochs), built from each
// case's data, criterion reduction, optimizer and hyperparameters.
import type { Tensor } from "../../mod.ts";
import { assertClose, assertEquals } from "../_assert.ts";
import {
  type FixtureTensor,
  fromFixture,
  loadFixture,
  makeOptimizer,
  mse,
} from "./_fixture_util.ts";

interface RegressionCase {
  name: string;
  x: FixtureTensor;
  y: FixtureTensor;
  x_test: FixtureTensor;
  initial: { weight: FixtureTensor; bias: FixtureTensor };
  reduction: "mean" | "sum";
  optimizer: string;
  optimizer_hyperparameters: Record<string, unknown>;
  epochs: number;
  losses: number[];
  weight_per_epoch: FixtureTensor;
  bias_per_epoch: FixtureTensor;
  final: { weight: FixtureTensor; bias: FixtureTensor };
  prediction_before_training: FixtureTensor;
  prediction: FixtureTensor;
}

const fixture = loadFixture<{ cases: RegressionCase[] }>(
  "torch/seed_linear_regression.json",
);

const TOL = 1e-5;

for (const c of fixture.cases) {
  Deno.test(`seed_linear_regression.json: ${c.name}`, () => {
    const weight = fromFixture(c.initial.weight, true);
    const bias = fromFixture(c.initial.bias, true);
    const x = fromFixture(c.x),
      y = fromFixture(c.y),
      xTest = fromFixture(c.x_test);
    const model = (input: Tensor): Tensor => input.matmul(weight.t()).add(bias);
    // "torch.optim.SGD(model.parameters(), lr=0.01)" names the class
    const className = /^torch\.optim\.(\w+)\(/.exec(c.optimizer)![1];
    const opt = makeOptimizer(
      className,
      [{ params: ["weight", "bias"], ...c.optimizer_hyperparameters }],
      c.optimizer_hyperparameters,
      c.optimizer_hyperparameters,
      { weight, bias },
    );
    assertClose(
      model(xTest).toFloat32Array(),
      c.prediction_before_training.data,
      TOL,
      TOL,
      "prediction before training",
    );
    assertEquals(c.losses.length, c.epochs);
    const losses = new Float32Array(c.epochs);
    const weights = new Float32Array(c.epochs);
    const biases = new Float32Array(c.epochs);
    for (let e = 0; e < c.epochs; e++) {
      const loss = mse(model(x), y, c.reduction);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses[e] = loss.item();
      weights[e] = weight.item();
      biases[e] = bias.item();
    }
    assertClose(losses, c.losses, TOL, TOL, `${c.name} losses`);
    assertClose(weights, c.weight_per_epoch.data, TOL, TOL, `${c.name} weight`);
    assertClose(biases, c.bias_per_epoch.data, TOL, TOL, `${c.name} bias`);
    assertClose(
      weight.toFloat32Array(),
      c.final.weight.data,
      TOL,
      TOL,
      "final weight",
    );
    assertClose(
      bias.toFloat32Array(),
      c.final.bias.data,
      TOL,
      TOL,
      "final bias",
    );
    assertClose(
      model(xTest).toFloat32Array(),
      c.prediction.data,
      TOL,
      TOL,
      "prediction",
    );
  });
}
