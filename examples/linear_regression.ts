/**
 * The lecture's linear regression, step by step, as a PyTorch user writes it:
 * y = 2x learned by one Linear(1, 1) layer.
 *
 *   deno run examples/linear_regression.ts [epochs]
 *
 * @module
 */
import { nn, noGrad, optim, type Tensor, tensor } from "../mod.ts";
import { Progress } from "./_progress.ts";

const epochs = Number(Deno.args[0] ?? 1000);

// 1. Prepare the dataset.
const xData = tensor([[1], [2], [3]]);
const yData = tensor([[2], [4], [6]]);

// 2. Design the model as a class with a constructor and forward.
class LinearModel extends nn.Module {
  linear = new nn.Linear(1, 1); // weight [1, 1] and bias [1]

  override forward(x: Tensor): Tensor {
    return this.linear.call(x);
  }
}
const model = new LinearModel();

// 3. Construct the loss and the optimizer.
const criterion = new nn.MSELoss({ sizeAverage: false });
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01 });

// 4. The training cycle: forward, loss, zero the gradients, backward, step.
const progress = new Progress(epochs, 100);
for (let epoch = 0; epoch < epochs; epoch++) {
  const yPred = model.call(xData);
  const loss = criterion.call(yPred, yData);
  progress.update(epoch, loss.item());
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
}

console.log(`w = ${model.linear.weight.item()}`);
console.log(`b = ${model.linear.bias!.item()}`);
const xTest = tensor([[4]]);
const yTest = noGrad(() => model.call(xTest));
console.log(`y_pred = ${yTest.item()}  (x = 4)`);
