/**
 * The lecture's picture of overfitting: a model with far more parameters than
 * data, trained too long on a few noisy points. The training loss keeps
 * falling while the loss on fresh points from the same curve turns back up.
 * Writes both curves to one chart.
 *
 *   deno run --allow-write examples/overfitting.ts [epochs] [chart.svg]
 *
 * @module
 */
import {
  linspace,
  manualSeed,
  nn,
  noGrad,
  optim,
  randn,
  type Tensor,
  tensor,
} from "../mod.ts";
import { lineChart } from "./_svg.ts";
import { Progress } from "./_progress.ts";

const epochs = Number(Deno.args[0] ?? 2000);
const chartPath = Deno.args[1] ?? "overfitting.svg";
manualSeed(3);

// 12 noisy training points of y = sin(x), and 200 clean test points
const truth = (x: Tensor) =>
  tensor(x.toFloat32Array().map(Math.sin), { shape: x.shape });
const xTrain = linspace(-3, 3, 12).unsqueeze(1);
const yTrain = truth(xTrain).add(randn(12, 1).mul(0.25));
const xTest = linspace(-3, 3, 200).unsqueeze(1);
const yTest = truth(xTest);

const model = new nn.Sequential(
  new nn.Linear(1, 64),
  new nn.Tanh(),
  new nn.Linear(64, 64),
  new nn.Tanh(),
  new nn.Linear(64, 1),
);
const criterion = new nn.MSELoss();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.002 });

const train: [number, number][] = [];
const test: [number, number][] = [];
const progress = new Progress(epochs, 500);
let best = { epoch: 0, loss: Infinity };
for (let epoch = 0; epoch < epochs; epoch++) {
  const loss = criterion.call(model.call(xTrain), yTrain);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  const testLoss = noGrad(() => criterion.call(model.call(xTest), yTest))
    .item();
  train.push([epoch, loss.item()]);
  test.push([epoch, testLoss]);
  if (testLoss < best.loss) best = { epoch, loss: testLoss };
  progress.update(epoch, loss.item());
}
const last = epochs - 1;
console.log(
  `train loss ${train[last][1].toExponential(3)}, test loss ${
    test[last][1].toExponential(3)
  }; the test loss was lowest (${
    best.loss.toExponential(3)
  }) at epoch ${best.epoch}`,
);
await Deno.writeTextFile(
  chartPath,
  lineChart({
    title: "Overfitting: 12 noisy points, a 4,353-parameter model",
    xLabel: "epoch",
    yLabel: "MSE",
    logY: true,
    series: [
      { name: "train", points: train },
      { name: "test", points: test },
    ],
  }),
);
console.log(`chart written to ${chartPath}`);
