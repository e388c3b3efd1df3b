/**
 * The lecture's exercise: the same linear model, from the same starting
 * weights, trained with every torch.optim algorithm. Prints a table of final
 * losses and writes a chart of loss against epoch (log scale) for all of them.
 *
 *   deno run --allow-write examples/optimizers.ts [epochs] [chart.svg]
 *
 * @module
 */
import { manualSeed, nn, optim, type Tensor, tensor } from "../mod.ts";
import { lineChart } from "./_svg.ts";

const epochs = Number(Deno.args[0] ?? 100);
const chartPath = Deno.args[1] ?? "optimizers.svg";

const x = tensor([[1], [2], [3]]);
const y = tensor([[2], [4], [6]]);

class LinearModel extends nn.Module {
  linear = new nn.Linear(1, 1);

  override forward(input: Tensor): Tensor {
    return this.linear.call(input);
  }
}

// Each optimizer with a learning rate that suits it on this problem (the
// lecture's 0.01 for SGD); everything else is PyTorch's default.
const makers: [string, (p: nn.Parameter[]) => optim.Optimizer][] = [
  ["SGD", (p) => new optim.SGD(p, { lr: 0.01 })],
  ["Adagrad", (p) => new optim.Adagrad(p, { lr: 0.5 })],
  ["Adam", (p) => new optim.Adam(p, { lr: 0.1 })],
  ["Adamax", (p) => new optim.Adamax(p, { lr: 0.1 })],
  ["ASGD", (p) => new optim.ASGD(p, { lr: 0.01 })],
  ["LBFGS", (p) => new optim.LBFGS(p, { lr: 0.1 })],
  ["RMSprop", (p) => new optim.RMSprop(p, { lr: 0.01 })],
  ["Rprop", (p) => new optim.Rprop(p, { lr: 0.01 })],
  ["AdamW", (p) => new optim.AdamW(p, { lr: 0.1 })],
];

manualSeed(0);
const initial = new LinearModel().stateDict();
const criterion = new nn.MSELoss({ reduction: "sum" });
const series: { name: string; points: [number, number][] }[] = [];

for (const [name, make] of makers) {
  const model = new LinearModel();
  model.loadStateDict(initial);
  const optimizer = make(model.parameters());
  const points: [number, number][] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const closure = () => {
      optimizer.zeroGrad();
      const loss = criterion.call(model.call(x), y);
      loss.backward();
      return loss;
    };
    const loss = optimizer.step(closure)!;
    points.push([epoch, loss.item()]);
  }
  series.push({ name, points });
}

console.log(`final loss after ${epochs} epochs (loss of the last step)`);
for (const s of series) {
  const last = s.points[s.points.length - 1][1];
  console.log(`  ${s.name.padEnd(8)} ${last.toExponential(3)}`);
}

await Deno.writeTextFile(
  chartPath,
  lineChart({
    title: `Linear regression y = 2x: loss per epoch`,
    xLabel: "epoch",
    yLabel: "MSE (sum)",
    logY: true,
    series,
  }),
);
console.log(`chart written to ${chartPath}`);
