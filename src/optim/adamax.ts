/**
 * Adamax: Adam with the infinity norm (torch.optim.Adamax).
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

/** Options of `Adamax` (PyTorch's names in camelCase, PyTorch's defaults). */
export interface AdamaxOptions {
  /** Learning rate (default 2e-3). */
  lr: number;
  /** Decay rates of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added inside the max for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: AdamaxOptions = {
  lr: 2e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  maximize: false,
};

/**
 * Adamax, as PyTorch 1.13's. With learning rate γ, betas β1 β2, weight decay
 * λ, for every parameter θ with gradient g at step t (m, u start at 0):
 *
 * ```text
 * g ← -g                       if maximize
 * g ← g + λ θ                  if λ ≠ 0
 * m ← β1 m + (1 - β1) g
 * u ← max(β2 u, |g| + ε)       (ε inside the max)
 * θ ← θ - γ / (1 - β1^t) · m / u
 * ```
 *
 * State per parameter: `step`, `expAvg` (m), `expInf` (u).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.Adamax([w], { lr: 0.1 });
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // about [0.9, -0.9]
 * ```
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  /** Parameters (or groups) and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<AdamaxOptions>,
    options: Partial<AdamaxOptions> = {},
  ) {
    super("Adamax", params, withDefaults("Adamax", DEFAULTS, options));
  }

  /** PyTorch's checks on Adamax's hyperparameters. */
  protected checkOptions(o: AdamaxOptions): void {
    checkNonNegative(o.lr, "learning rate");
    checkNonNegative(o.eps, "epsilon value");
    checkBetas(o.betas);
    checkNonNegative(o.weightDecay, "weight_decay value");
  }

  /** One fused Adamax update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<AdamaxOptions>,
    state: ParamState,
  ): void {
    const { lr, betas, eps, weightDecay, maximize } = group;
    const [beta1, beta2] = betas;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const m = stateBuffer(state, "expAvg", param);
    const u = stateBuffer(state, "expInf", param);
    beginOp();
    kernels.adamaxStep(
      writePtr(param),
      readPtr(grad),
      writePtr(m),
      writePtr(u),
      param.numel(),
      -lr / (1 - beta1 ** step),
      beta1,
      1 - beta1,
      beta2,
      eps,
      weightDecay,
      (maximize ? 1 : 0) | (weightDecay !== 0 ? 16 : 0),
    );
  }
}
