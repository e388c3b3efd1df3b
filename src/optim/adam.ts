/**
 * Adam (torch.optim.Adam), and the update it shares with AdamW.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { beginOp } from "../storage.ts";
import { kernels } from "../wasm.ts";
import {
  checkBetas,
  checkNonNegative,
  Optimizer,
  type ParamGroup,
  type Params,
  type ParamState,
  readPtr,
  stateBuffer,
  withDefaults,
  writePtr,
} from "./optimizer.ts";

/** Options of `Adam` and `AdamW` (PyTorch's names in camelCase). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the running averages of g and g² (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Weight decay: L2 penalty for Adam (default 0), decoupled for AdamW (default 1e-2). */
  weightDecay: number;
  /** Use the AMSGrad variant (default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: AdamOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
};

/** PyTorch's checks on Adam's and AdamW's hyperparameters. */
export function checkAdamOptions(o: AdamOptions): void {
  checkNonNegative(o.lr, "learning rate");
  checkNonNegative(o.eps, "epsilon value");
  checkBetas(o.betas);
  checkNonNegative(o.weightDecay, "weight_decay value");
}

/**
 * One fused Adam or AdamW update of `param` (AdamW when `decoupled`): the
 * state (`step`, `expAvg`, `expAvgSq`, `maxExpAvgSq` with amsgrad) is
 * created on first use.
 */
export function adamUpdate(
  param: Tensor,
  grad: Tensor,
  group: ParamGroup<AdamOptions>,
  state: ParamState,
  decoupled: boolean,
): void {
  const { lr, betas, eps, weightDecay, amsgrad, maximize } = group;
  const [beta1, beta2] = betas;
  const step = ((state.step as number | undefined) ?? 0) + 1;
  state.step = step;
  const m = stateBuffer(state, "expAvg", param);
  const v = stateBuffer(state, "expAvgSq", param);
  const vmax = amsgrad ? stateBuffer(state, "maxExpAvgSq", param) : null;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const flags = (maximize ? 1 : 0) | (amsgrad ? 2 : 0) |
    (decoupled ? 4 : weightDecay !== 0 ? 16 : 0);
  beginOp();
  kernels.adamStep(
    writePtr(param),
    readPtr(grad),
    writePtr(m),
    writePtr(v),
    vmax === null ? 0 : writePtr(vmax),
    param.numel(),
    -lr / biasCorrection1,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    Math.sqrt(biasCorrection2),
    eps,
    weightDecay,
    1 - lr * weightDecay,
    flags,
  );
}

/**
 * Adam, as PyTorch 1.13's. With learning rate γ, betas β1 β2, weight decay
 * λ, for every parameter θ with gradient g at step t (m, v start at 0):
 *
 * ```text
 * g ← -g                               if maximize
 * g ← g + λ θ                          if λ ≠ 0
 * m ← β1 m + (1 - β1) g
 * v ← β2 v + (1 - β2) g²
 * v̂ ← max(v̂, v)                        if amsgrad (v̂ starts at 0; raw v, not corrected)
 * θ ← θ - γ / (1 - β1^t) · m / (√(v or v̂) / √(1 - β2^t) + ε)
 * ```
 *
 * State per parameter: `step`, `expAvg` (m), `expAvgSq` (v), and
 * `maxExpAvgSq` (v̂) with amsgrad.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.Adam([w], { lr: 0.1 });
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // about [0.9, -0.9]: the first step moves each weight by lr
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  /** Parameters (or groups) and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<AdamOptions>,
    options: Partial<AdamOptions> = {},
  ) {
    super("Adam", params, withDefaults("Adam", DEFAULTS, options));
  }

  /** PyTorch's checks on Adam's hyperparameters. */
  protected checkOptions(o: AdamOptions): void {
    checkAdamOptions(o);
  }

  /** One fused Adam update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<AdamOptions>,
    state: ParamState,
  ): void {
    adamUpdate(param, grad, group, state, false);
  }
}
