/**
 * RMSprop (torch.optim.RMSprop).
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
  readPtr,
  stateBuffer,
  withDefaults,
  writePtr,
} from "./optimizer.ts";

/** Options of `RMSprop` (PyTorch's names in camelCase, PyTorch's defaults). */
export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant of the running average of g² (default 0.99). */
  alpha: number;
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalize by the estimated variance of the gradient (default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: RMSpropOptions = {
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
};

/**
 * RMSprop, as PyTorch 1.13's. With learning rate γ, smoothing α, momentum μ,
 * weight decay λ, for every parameter θ with gradient g (v, ḡ, b start at 0):
 *
 * ```text
 * g ← -g                         if maximize
 * g ← g + λ θ                    if λ ≠ 0
 * v ← α v + (1 - α) g²
 * ḡ ← α ḡ + (1 - α) g            if centered
 * a ← √(v - ḡ²) + ε              if centered, else a ← √v + ε
 * b ← μ b + g / a;  θ ← θ - γ b  if μ > 0
 * θ ← θ - γ g / a                otherwise
 * ```
 *
 * State per parameter: `step`, `squareAvg` (v), `momentumBuffer` (b) when
 * μ > 0, `gradAvg` (ḡ) when centered.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.RMSprop([w], { lr: 0.01 });
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // about [0.9, -0.9]: the first step is lr / sqrt(1 - alpha)
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  /** Parameters (or groups) and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<RMSpropOptions>,
    options: Partial<RMSpropOptions> = {},
  ) {
    super("RMSprop", params, withDefaults("RMSprop", DEFAULTS, options));
  }

  /** PyTorch's checks on RMSprop's hyperparameters. */
  protected checkOptions(o: RMSpropOptions): void {
    checkNonNegative(o.lr, "learning rate");
    checkNonNegative(o.eps, "epsilon value");
    checkNonNegative(o.momentum, "momentum value");
    checkNonNegative(o.weightDecay, "weight_decay value");
    checkNonNegative(o.alpha, "alpha value");
  }

  /** One fused RMSprop update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<RMSpropOptions>,
    state: ParamState,
  ): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    state.step = ((state.step as number | undefined) ?? 0) + 1;
    const sq = stateBuffer(state, "squareAvg", param);
    const buf = momentum > 0
      ? stateBuffer(state, "momentumBuffer", param)
      : null;
    const gavg = centered ? stateBuffer(state, "gradAvg", param) : null;
    beginOp();
    kernels.rmspropStep(
      writePtr(param),
      readPtr(grad),
      writePtr(sq),
      gavg === null ? 0 : writePtr(gavg),
      buf === null ? 0 : writePtr(buf),
      param.numel(),
      -lr,
      alpha,
      1 - alpha,
      eps,
      momentum,
      weightDecay,
      (maximize ? 1 : 0) | (centered ? 2 : 0) | (buf !== null ? 4 : 0) |
        (weightDecay !== 0 ? 16 : 0),
    );
  }
}
