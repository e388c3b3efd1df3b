/**
 * A first look at kindling: tensors, broadcasting, matmul, reductions and
 * autograd, printed the way PyTorch prints them.
 *
 *   deno run examples/tensor_basics.ts
 *
 * @module
 */
import { manualSeed, noGrad, randn, tensor } from "../mod.ts";

manualSeed(0);

const a = tensor([[1, 2, 3], [4, 5, 6]]);
const b = tensor([10, 20, 30]);
console.log("a + b (broadcast):", a.add(b).toString());
console.log("a @ a.T:", a.matmul(a.t()).toString());
console.log("sum over dim 1:", a.sum(1).toString());
console.log("max over dim 0:", a.max(0).values.toString());

// The lecture's linear regression, by hand: y = 2x, fit w and b by gradient descent.
const x = tensor([[1], [2], [3]]);
const y = tensor([[2], [4], [6]]);
const w = randn([1, 1], { requiresGrad: true });
const bias = randn([1], { requiresGrad: true });
for (let epoch = 0; epoch < 1000; epoch++) {
  const loss = x.matmul(w.t()).add(bias).sub(y).pow(2).sum();
  w.grad = null;
  bias.grad = null;
  loss.backward();
  noGrad(() => {
    w.sub_(w.grad!, { alpha: 0.01 });
    bias.sub_(bias.grad!, { alpha: 0.01 });
  });
  if (epoch % 200 === 0 || epoch === 999) {
    console.log(`epoch ${epoch}: loss ${loss.item().toFixed(6)}`);
  }
}
console.log("w =", w.item().toFixed(4), " b =", bias.item().toFixed(4));
const pred = noGrad(() => tensor([[4]]).matmul(w.t()).add(bias));
console.log("prediction for x = 4:", pred.toString());
