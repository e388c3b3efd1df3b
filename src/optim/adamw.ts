/**
 * AdamW: Adam with decoupled weight decay (torch.optim.AdamW).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { type AdamOptions, adamUpdate, checkAdamOptions } from "./adam.ts";
import {
  Optimizer,
  type ParamGroup,
  type Params,
  type ParamState,
  withDefaults,
} from "./optimizer.ts";

const DEFAULTS: AdamOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 1e-2,
  amsgrad: false,
  maximize: false,
};

/**
 * AdamW, as PyTorch 1.13's: Adam whose weight decay shrinks the parameter
 * directly instead of entering the gradient. With learning rate γ and weight
 * decay λ (default 1e-2), each step first does
 *
 * ```text
 * θ ← θ (1 - γ λ)
 * ```
 *
 * then Adam's update without the L2 term (see `Adam`). Same state as Adam.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.AdamW([w], { lr: 0.1, weightDecay: 0.1 });
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // about [0.89, -0.89]
 * ```
 */
export class AdamW extends Optimizer<AdamOptions> {
  /** Parameters (or groups) and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<AdamOptions>,
    options: Partial<AdamOptions> = {},
  ) {
    super("AdamW", params, withDefaults("AdamW", DEFAULTS, options));
  }

  /** PyTorch's checks on AdamW's hyperparameters. */
  protected checkOptions(o: AdamOptions): void {
    checkAdamOptions(o);
  }

  /** One fused AdamW update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<AdamOptions>,
    state: ParamState,
  ): void {
    adamUpdate(param, grad, group, state, true);
  }
}
