/**
 * `optim`: the torch.optim algorithms, with parameter groups, lazily created
 * per-parameter state, state dicts, and learning-rate schedules in
 * `optim.lrScheduler`. Updates run as fused WebAssembly kernels, in place.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const x = tensor([[1], [2], [3]]);
 * const y = tensor([[2], [4], [6]]);
 * const w = tensor([[0]], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.05 });
 * for (let epoch = 0; epoch < 50; epoch++) {
 *   opt.zeroGrad();
 *   x.matmul(w).sub(y).pow(2).mean().backward();
 *   opt.step();
 * }
 * console.log(w.item()); // about 2
 * ```
 *
 * @module
 */
export {
  type BaseOptions,
  type Closure,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  type ParamState,
  type SerializedTensor,
  type SerializedValue,
  type StateValue,
  type ZeroGradOptions,
} from "./optimizer.ts";
export { SGD, type SGDOptions } from "./sgd.ts";
export { Adam, type AdamOptions } from "./adam.ts";
export { AdamW } from "./adamw.ts";
export { Adagrad, type AdagradOptions } from "./adagrad.ts";
export { RMSprop, type RMSpropOptions } from "./rmsprop.ts";
export { Adamax, type AdamaxOptions } from "./adamax.ts";
export { ASGD, type ASGDOptions } from "./asgd.ts";
export { Rprop, type RpropOptions } from "./rprop.ts";
export { LBFGS, type LBFGSOptions } from "./lbfgs.ts";
export * as lrScheduler from "./lr_scheduler.ts";
