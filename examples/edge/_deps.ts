/**
 * What the edge example takes from kindling, in one place.
 *
 * @module
 */
import { rand, type Tensor } from "../../mod.ts";

export {
  loadSafetensors,
  manualSeed,
  nn,
  noGrad,
  optim,
  saveSafetensors,
  tensor,
} from "../../mod.ts";

/** Uniform random values in [lo, hi). */
export function randomUniformTensor(
  shape: number[],
  lo: number,
  hi: number,
): Tensor {
  return rand(shape).mul(hi - lo).add(lo);
}
