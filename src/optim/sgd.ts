/**
 * Stochastic gradient descent, optionally with momentum (torch.optim.SGD).
 *
 * @module
 */
import { Tensor } from "../tensor.ts";
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

/** Options of `SGD` (PyTorch's names in camelCase, PyTorch's defaults). */
export interface SGDOptions {
  /** Learning rate (required, in the options or in every group). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening for momentum (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false). */
  nesterov: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: SGDOptions = {
  lr: undefined as unknown as number, // required
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
};

/**
 * Stochastic gradient descent (optionally with momentum), as PyTorch 1.13's
 * SGD. With learning rate γ, momentum μ, dampening τ, weight decay λ, for
 * every parameter θ with gradient g at step t:
 *
 * ```text
 * g ← -g                          if maximize
 * g ← g + λ θ                     if λ ≠ 0
 * if μ ≠ 0:
 *   b ← g                         at t = 1 (no dampening)
 *   b ← μ b + (1 - τ) g           at t > 1
 *   g ← g + μ b                   if nesterov, else g ← b
 * θ ← θ - γ g
 * ```
 *
 * State per parameter: `momentumBuffer` (null when momentum is 0).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad();
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // [0.8, 1.6]
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  /** `options.lr` is required unless every group gives its own. */
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super("SGD", params, withDefaults("SGD", DEFAULTS, options));
  }

  /** PyTorch's checks on SGD's hyperparameters. */
  protected checkOptions(o: SGDOptions): void {
    if (o.lr !== undefined) checkNonNegative(o.lr, "learning rate");
    checkNonNegative(o.momentum, "momentum value");
    checkNonNegative(o.weightDecay, "weight_decay value");
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(
        "Nesterov momentum requires a momentum and zero dampening",
      );
    }
  }

  /** One fused SGD update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<SGDOptions>,
    state: ParamState,
  ): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    let flags = (maximize ? 1 : 0) | (nesterov ? 8 : 0) |
      (weightDecay !== 0 ? 16 : 0);
    let buf: Tensor | null = null;
    if (momentum !== 0) {
      flags |= 2;
      if (!(state.momentumBuffer instanceof Tensor)) flags |= 4;
      buf = stateBuffer(state, "momentumBuffer", param);
    } else if (!("momentumBuffer" in state)) {
      state.momentumBuffer = null;
    }
    beginOp();
    kernels.sgdStep(
      writePtr(param),
      readPtr(grad),
      buf === null ? 0 : writePtr(buf),
      param.numel(),
      -lr,
      momentum,
      1 - dampening,
      weightDecay,
      flags,
    );
  }
}
