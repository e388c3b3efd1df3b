/**
 * kindling: PyTorch-style tensors, autograd, `nn` and `optim` for Deno, with
 * WebAssembly SIMD kernels.
 *
 * @example
 * ```ts
 * import { tensor } from "./mod.ts";
 * const w = tensor([[2]], { requiresGrad: true });
 * const loss = tensor([[1], [2], [3]]).matmul(w).sub(tensor([[2], [4], [6]]))
 *   .pow(2).sum();
 * loss.backward();
 * console.log(loss.item(), w.grad!.item()); // 0 0
 * ```
 *
 * @module
 */
export {
  arange,
  type BackwardOptions,
  full,
  linspace,
  manualSeed,
  type NestedArray,
  ones,
  onesLike,
  type Operand,
  rand,
  randn,
  type ReduceOptions,
  type ShapeArgs,
  Tensor,
  tensor,
  type TensorDataOptions,
  type TensorOptions,
  type ValuesIndices,
  zeros,
  zerosLike,
} from "./src/tensor.ts";
export { isGradEnabled, Node, noGrad } from "./src/autograd/engine.ts";
export {
  type MemoryStats,
  memoryStats,
  setMemoryBudget,
} from "./src/storage.ts";
export {
  add,
  div,
  matmul,
  maximum,
  minimum,
  mul,
  pow,
  sub,
} from "./src/functional.ts";
export {
  loadSafetensors,
  type NamedTensors,
  readSafetensorsHeader,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
  saveSafetensors,
  type SaveSafetensorsOptions,
} from "./src/io/safetensors.ts";
export * as nn from "./src/nn/mod.ts";
export * as optim from "./src/optim/mod.ts";
