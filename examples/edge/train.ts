/**
 * Trains the edge example's model on synthetic data and writes its weights
 * to `model.safetensors` beside this file.
 *
 *   deno run --allow-write examples/edge/train.ts [epochs]
 *
 * @module
 */
import {
  manualSeed,
  nn,
  optim,
  randomUniformTensor,
  saveSafetensors,
  tensor,
} from "./_deps.ts";
import { INPUT_FEATURES, Regressor, target } from "./model.ts";

const epochs = Number(Deno.args[0] ?? 2000);
manualSeed(7);

const n = 256;
const x = randomUniformTensor([n, INPUT_FEATURES], -2, 2);
const rows = x.toArray() as number[][];
const y = tensor(rows.map(target));

const model = new Regressor();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
const criterion = new nn.MSELoss();
let loss = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  const l = criterion.call(model.call(x), y);
  optimizer.zeroGrad();
  l.backward();
  optimizer.step();
  loss = l.item();
  if (epoch % 500 === 0) console.log(`epoch ${epoch} loss ${loss}`);
}
console.log(`final loss ${loss}`);

const bytes = saveSafetensors(model.stateDict(), {
  metadata: { epochs: String(epochs), loss: String(loss) },
});
const out = new URL("./model.safetensors", import.meta.url);
await Deno.writeFile(out, bytes);
console.log(`wrote ${out.pathname.split("/").pop()} (${bytes.length} bytes)`);
