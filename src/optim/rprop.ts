/**
 * Resilient backpropagation (torch.optim.Rprop).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { beginOp } from "../storage.ts";
import { kernels } from "../wasm.ts";
import {
  checkNonNegative,
  Optimizer,
  type ParamGroup,
  type Params,
  type ParamState,
  pyFloat,
  readPtr,
  stateBuffer,
  withDefaults,
  writePtr,
} from "./optimizer.ts";

/** Options of `Rprop` (PyTorch's names in camelCase, PyTorch's defaults). */
export interface RpropOptions {
  /** Learning rate: the initial step size (default 1e-2). */
  lr: number;
  /** Multiplicative decrease and increase factors (default [0.5, 1.2]). */
  etas: [number, number];
  /** Minimal and maximal step sizes (default [1e-6, 50]). */
  stepSizes: [number, number];
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: RpropOptions = {
  lr: 1e-2,
  etas: [0.5, 1.2],
  stepSizes: [1e-6, 50],
  maximize: false,
};

/**
 * Rprop, as PyTorch 1.13's. With factors η-, η+ and step-size bounds
 * [Γmin, Γmax], every element of a parameter θ keeps its own step size s
 * (starting at lr) and its previous gradient p (starting at 0):
 *
 * ```text
 * g ← -g                              if maximize
 * s ← clamp(s η+, Γmin, Γmax)         where g p > 0
 * s ← clamp(s η-, Γmin, Γmax); g ← 0  where g p < 0
 * θ ← θ - sign(g) s
 * p ← g
 * ```
 *
 * State per parameter: `step`, `prev` (p), `stepSize` (s).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.Rprop([w], { lr: 0.1 });
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // about [0.9, -0.9]
 * ```
 */
export class Rprop extends Optimizer<RpropOptions> {
  /** Parameters (or groups) and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<RpropOptions>,
    options: Partial<RpropOptions> = {},
  ) {
    super("Rprop", params, withDefaults("Rprop", DEFAULTS, options));
  }

  /** PyTorch's checks on Rprop's hyperparameters. */
  protected checkOptions(o: RpropOptions): void {
    checkNonNegative(o.lr, "learning rate");
    const [minus, plus] = o.etas;
    if (!(minus > 0 && minus < 1 && plus > 1)) {
      throw new RangeError(
        `Invalid eta values: ${pyFloat(minus)}, ${pyFloat(plus)}`,
      );
    }
    const [lo, hi] = o.stepSizes;
    if (!(lo >= 0 && hi >= lo)) {
      throw new RangeError(
        `Invalid step sizes: ${pyFloat(lo)}, ${pyFloat(hi)}`,
      );
    }
  }

  /** One fused Rprop update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<RpropOptions>,
    state: ParamState,
  ): void {
    const { lr, etas, stepSizes, maximize } = group;
    state.step = ((state.step as number | undefined) ?? 0) + 1;
    const prev = stateBuffer(state, "prev", param);
    const size = stateBuffer(state, "stepSize", param, lr);
    beginOp();
    kernels.rpropStep(
      writePtr(param),
      readPtr(grad),
      writePtr(prev),
      writePtr(size),
      param.numel(),
      etas[0],
      etas[1],
      stepSizes[0],
      stepSizes[1],
      maximize ? 1 : 0,
    );
  }
}
