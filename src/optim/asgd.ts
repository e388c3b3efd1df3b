/**
 * Averaged stochastic gradient descent (torch.optim.ASGD).
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

/** Options of `ASGD` (PyTorch's names in camelCase, PyTorch's defaults). */
export interface ASGDOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Decay term (default 1e-4). */
  lambd: number;
  /** Power of the eta update (default 0.75). */
  alpha: number;
  /** Step at which averaging starts (default 1e6). */
  t0: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

const DEFAULTS: ASGDOptions = {
  lr: 1e-2,
  lambd: 1e-4,
  alpha: 0.75,
  t0: 1e6,
  weightDecay: 0,
  maximize: false,
};

/**
 * Averaged SGD, as PyTorch 1.13's. With learning rate γ, decay λ, power α,
 * start t0, weight decay λw, for every parameter θ with gradient g at step t
 * (η starts at γ, μ at 1; η and μ are kept as float32, as PyTorch's 0-d
 * tensors are):
 *
 * ```text
 * g ← -g                           if maximize
 * g ← g + λw θ                     if λw ≠ 0
 * θ ← θ (1 - λ η) - η g
 * ax ← ax + μ (θ - ax)             if μ ≠ 1, else ax ← θ
 * η ← γ / (1 + λ γ t)^α
 * μ ← 1 / max(1, t - t0)
 * ```
 *
 * State per parameter: `step`, `eta`, `mu`, `ax` (the averaged parameter).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.ASGD([w], { lr: 0.1 });
 * w.mul(w).sum().backward();
 * opt.step();
 * console.log(w.toArray()); // about [0.8, -0.8]
 * ```
 */
export class ASGD extends Optimizer<ASGDOptions> {
  /** Parameters (or groups) and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<ASGDOptions>,
    options: Partial<ASGDOptions> = {},
  ) {
    super("ASGD", params, withDefaults("ASGD", DEFAULTS, options));
  }

  /** PyTorch's checks on ASGD's hyperparameters. */
  protected checkOptions(o: ASGDOptions): void {
    checkNonNegative(o.lr, "learning rate");
    checkNonNegative(o.weightDecay, "weight_decay value");
  }

  /** One fused ASGD update of `param`. */
  protected update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<ASGDOptions>,
    state: ParamState,
  ): void {
    const { lr, lambd, alpha, t0, weightDecay, maximize } = group;
    if (!("step" in state)) {
      state.step = 0;
      state.eta = Math.fround(lr);
      state.mu = 1;
    }
    const ax = stateBuffer(state, "ax", param);
    const step = (state.step as number) + 1;
    const eta = state.eta as number;
    const mu = state.mu as number;
    beginOp();
    kernels.asgdStep(
      writePtr(param),
      readPtr(grad),
      writePtr(ax),
      param.numel(),
      1 - lambd * eta,
      -eta,
      mu,
      weightDecay,
      (maximize ? 1 : 0) | (mu !== 1 ? 2 : 0) | (weightDecay !== 0 ? 16 : 0),
    );
    state.step = step;
    state.eta = Math.fround(lr / Math.pow(1 + lambd * lr * step, alpha));
    state.mu = Math.fround(1 / Math.max(1, step - t0));
  }
}
