/**
 * `nn`: modules, layers, losses and their functional forms, in the shape of
 * `torch.nn`.
 *
 * @example
 * ```ts
 * import { nn, type Tensor, tensor } from "../../mod.ts";
 * class LinearModel extends nn.Module {
 *   linear = new nn.Linear(1, 1);
 *   override forward(x: Tensor): Tensor {
 *     return this.linear.call(x);
 *   }
 * }
 * const model = new LinearModel();
 * const criterion = new nn.MSELoss({ reduction: "sum" });
 * const loss = criterion.call(model.call(tensor([[1], [2], [3]])), tensor([[2], [4], [6]]));
 * loss.backward();
 * console.log(model.linear.weight.grad!.shape); // [1, 1]
 * ```
 *
 * @module
 */
export {
  type BufferOptions,
  type ForwardArgs,
  type ForwardHook,
  type ForwardOutput,
  type ForwardPreHook,
  type IncompatibleKeys,
  type LoadStateDictOptions,
  Module,
  type NamedOptions,
  RemovableHandle,
  type StateDict,
  type StateDictOptions,
  type ZeroGradOptions,
} from "./module.ts";
export { Parameter } from "./parameter.ts";
export { ModuleList, Sequential } from "./container.ts";
export { Identity, Linear, type LinearOptions } from "./linear.ts";
export { LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from "./activation.ts";
export { Dropout } from "./dropout.ts";
export { Flatten } from "./flatten.ts";
export {
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  L1Loss,
  MSELoss,
} from "./loss.ts";
export type { Reduction, ReductionOptions } from "./_reduction.ts";
export type {
  BinaryCrossEntropyOptions,
  BinaryCrossEntropyWithLogitsOptions,
  CrossEntropyOptions,
  DropoutOptions,
} from "./functional.ts";
export * as functional from "./functional.ts";
