/**
 * Learning-rate schedules (torch.optim.lr_scheduler): each `step()` sets
 * `lr` in every parameter group of the optimizer, with PyTorch 1.13's
 * formulas (the recursive "chainable" forms, as `scheduler.step()` computes
 * them).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 1 });
 * const sched = new optim.lrScheduler.StepLR(opt, 2, { gamma: 0.5 });
 * const lrs = [];
 * for (let epoch = 0; epoch < 5; epoch++) {
 *   lrs.push(sched.getLastLr()[0]);
 *   opt.step();
 *   sched.step();
 * }
 * console.log(lrs); // [1, 1, 0.5, 0.5, 0.25]
 * ```
 *
 * @module
 */
import { Tensor } from "../tensor.ts";
import { Optimizer } from "./optimizer.ts";

/** Options every epoch-based scheduler takes. */
export interface SchedulerOptions {
  /**
   * The index of the last epoch when resuming (default -1: start afresh).
   * Resuming needs `initialLr` in every group.
   */
  lastEpoch?: number;
}

/**
 * Base of the epoch-based schedulers (PyTorch's `_LRScheduler`). The
 * constructor records each group's `initialLr` and takes the first step, so
 * `getLastLr()` holds the epoch-0 rates; call `step()` after each epoch's
 * `optimizer.step()`.
 */
export abstract class LRScheduler {
  /** The optimizer whose learning rates are set. */
  readonly optimizer: Optimizer;
  /** Each group's starting learning rate. */
  baseLrs: number[];
  /** The index of the last epoch stepped. */
  lastEpoch: number;
  /** Number of `step()` calls, including the constructor's. */
  protected stepCount = 0;
  #lastLr: number[] = [];

  /** Attaches to `optimizer` and takes the first step. */
  constructor(optimizer: Optimizer, options: SchedulerOptions = {}) {
    if (!(optimizer instanceof Optimizer)) {
      throw new TypeError(
        `${
          (optimizer as object)?.constructor?.name ?? typeof optimizer
        } is not an Optimizer`,
      );
    }
    this.optimizer = optimizer;
    const lastEpoch = options.lastEpoch ?? -1;
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new RangeError(
        `lastEpoch must be an integer >= -1, got ${lastEpoch}`,
      );
    }
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new RangeError(
            `param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer`,
          );
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** The chainable form: each group's rate for `lastEpoch`. */
  protected abstract getLr(): number[];

  /** Takes the constructor's step; subclasses call it once their fields are set. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch and sets every group's `lr`. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = values[i]));
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates set by the last `step()`, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The scheduler's state (not the optimizer's), as plain data. */
  stateDict(): Record<string, unknown> {
    return {
      baseLrs: [...this.baseLrs],
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      lastLr: [...this.#lastLr],
    };
  }

  /** Restores a state saved by `stateDict()`. */
  loadStateDict(state: Record<string, unknown>): void {
    this.baseLrs = [...(state.baseLrs as number[])];
    this.lastEpoch = state.lastEpoch as number;
    this.stepCount = state.stepCount as number;
    this.#lastLr = [...(state.lastLr as number[])];
  }
}

function groupLrs(opt: Optimizer): number[] {
  return opt.paramGroups.map((g) => g.lr);
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/** Options of `StepLR`. */
export interface StepLROptions extends SchedulerOptions {
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` epochs:
 * lr = baseLr · gamma^⌊epoch / stepSize⌋.
 */
export class StepLR extends LRScheduler {
  /** The period of the decay, in epochs. */
  readonly stepSize: number;
  /** The decay factor. */
  readonly gamma: number;

  /** Decays by `options.gamma` (default 0.1) every `stepSize` epochs. */
  constructor(
    optimizer: Optimizer,
    stepSize: number,
    options: StepLROptions = {},
  ) {
    checkPositiveInteger(stepSize, "stepSize");
    super(optimizer, options);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  /** The chainable form. */
  protected getLr(): number[] {
    const lrs = groupLrs(this.optimizer);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) {
      return lrs;
    }
    return lrs.map((lr) => lr * this.gamma);
  }
}

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions extends SchedulerOptions {
  /** Multiplicative factor (default 0.1). */
  gamma?: number;
}

/**
 * Multiplies the learning rate by `gamma` at each milestone epoch (by
 * gamma^k at a milestone listed k times): lr = baseLr · gamma^(number of
 * milestones ≤ epoch).
 */
export class MultiStepLR extends LRScheduler {
  /** How many times each milestone epoch is listed. */
  readonly milestones: Map<number, number>;
  /** The decay factor. */
  readonly gamma: number;

  /** Decays by `options.gamma` (default 0.1) at each of `milestones`. */
  constructor(
    optimizer: Optimizer,
    milestones: readonly number[],
    options: MultiStepLROptions = {},
  ) {
    for (const m of milestones) {
      if (!Number.isInteger(m)) {
        throw new RangeError(`milestones must be integers, got ${m}`);
      }
    }
    super(optimizer, options);
    this.milestones = new Map();
    for (const m of milestones) {
      this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    }
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  /** The chainable form. */
  protected getLr(): number[] {
    const lrs = groupLrs(this.optimizer);
    const k = this.milestones.get(this.lastEpoch);
    if (k === undefined) return lrs;
    return lrs.map((lr) => lr * this.gamma ** k);
  }
}

/** Multiplies the learning rate by `gamma` every epoch: lr = baseLr · gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  /** The decay factor. */
  readonly gamma: number;

  /** Decays by `gamma` every epoch. */
  constructor(
    optimizer: Optimizer,
    gamma: number,
    options: SchedulerOptions = {},
  ) {
    super(optimizer, options);
    this.gamma = gamma;
    this.initialStep();
  }

  /** The chainable form. */
  protected getLr(): number[] {
    const lrs = groupLrs(this.optimizer);
    if (this.lastEpoch === 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
}

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** The minimal learning rate (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing from the base rate to `etaMin` over `tMax` epochs (and
 * back, periodically): closed form
 * lr = etaMin + (baseLr - etaMin) · (1 + cos(π · epoch / tMax)) / 2,
 * computed recursively from the current `lr` as PyTorch does.
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half period, in epochs. */
  readonly tMax: number;
  /** The minimal learning rate. */
  readonly etaMin: number;

  /** Anneals over `tMax` epochs down to `options.etaMin` (default 0). */
  constructor(
    optimizer: Optimizer,
    tMax: number,
    options: CosineAnnealingLROptions = {},
  ) {
    checkPositiveInteger(tMax, "tMax");
    super(optimizer, options);
    this.tMax = tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  /** The chainable form. */
  protected getLr(): number[] {
    const { lastEpoch: e, tMax, etaMin } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groupLrs(this.optimizer);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((base) =>
        etaMin + (base - etaMin) * (1 + Math.cos(e * Math.PI / tMax)) / 2
      );
    }
    if ((e - 1 - tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) =>
        g.lr + (this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2
      );
    }
    return groups.map((g) =>
      (1 + Math.cos(Math.PI * e / tMax)) /
        (1 + Math.cos(Math.PI * (e - 1) / tMax)) * (g.lr - etaMin) + etaMin
    );
  }
}

/** A multiplier of the base learning rate, given the epoch. */
export type LrLambda = (epoch: number) => number;

/** Sets lr = baseLr · lrLambda(epoch), one function for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  /** One function per group. */
  readonly lrLambdas: LrLambda[];

  /** `lrLambda` is one function, or a list with one per group. */
  constructor(
    optimizer: Optimizer,
    lrLambda: LrLambda | readonly LrLambda[],
    options: SchedulerOptions = {},
  ) {
    const n = optimizer?.paramGroups?.length;
    if (typeof lrLambda !== "function") {
      if (!Array.isArray(lrLambda) || lrLambda.length !== n) {
        throw new RangeError(
          `Expected ${n} lr_lambdas, but got ${
            Array.isArray(lrLambda) ? lrLambda.length : typeof lrLambda
          }`,
        );
      }
    }
    super(optimizer, options);
    this.lrLambdas = typeof lrLambda === "function"
      ? new Array(n).fill(lrLambda)
      : [...lrLambda];
    this.initialStep();
  }

  /** baseLr · lrLambda(epoch) per group. */
  protected getLr(): number[] {
    return this.baseLrs.map((base, i) =>
      base * this.lrLambdas[i](this.lastEpoch)
    );
  }
}

/** Options of `ReduceLROnPlateau` (PyTorch's names in camelCase and defaults). */
export interface ReduceLROnPlateauOptions {
  /** "min": the metric should fall; "max": it should rise (default "min"). */
  mode?: "min" | "max";
  /** Factor the learning rate is multiplied by (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** The least change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** "rel": relative to the best value, "abs": absolute (default "rel"). */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the learning rate, one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the learning rate by `factor` when a metric has stopped improving
 * for more than `patience` epochs. Call `step(metric)` once per epoch.
 */
export class ReduceLROnPlateau {
  /** The optimizer whose learning rates are reduced. */
  readonly optimizer: Optimizer;
  /** "min" or "max". */
  readonly mode: "min" | "max";
  /** Factor the learning rate is multiplied by. */
  readonly factor: number;
  /** Epochs without improvement tolerated. */
  readonly patience: number;
  /** The least change that counts as an improvement. */
  readonly threshold: number;
  /** "rel" or "abs". */
  readonly thresholdMode: "rel" | "abs";
  /** Epochs of cooldown after a reduction. */
  readonly cooldown: number;
  /** Per-group lower bounds. */
  readonly minLrs: number[];
  /** Reductions smaller than this are skipped. */
  readonly eps: number;
  /** The best metric so far. */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Cooldown epochs left. */
  cooldownCounter = 0;
  /** The index of the last epoch stepped. */
  lastEpoch = 0;
  #lastLr: number[];

  /** Watches a metric for `optimizer`; see the options for the rule. */
  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    if (!(optimizer instanceof Optimizer)) {
      throw new TypeError(
        `${
          (optimizer as object)?.constructor?.name ?? typeof optimizer
        } is not an Optimizer`,
      );
    }
    const factor = options.factor ?? 0.1;
    if (factor >= 1) throw new RangeError("Factor should be < 1.0.");
    const mode = options.mode ?? "min";
    if (mode !== "min" && mode !== "max") {
      throw new RangeError(`mode ${mode} is unknown!`);
    }
    const thresholdMode = options.thresholdMode ?? "rel";
    if (thresholdMode !== "rel" && thresholdMode !== "abs") {
      throw new RangeError(`threshold mode ${thresholdMode} is unknown!`);
    }
    const n = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) {
        throw new RangeError(`expected ${n} min_lrs, got ${minLr.length}`);
      }
      this.minLrs = [...minLr];
    } else {
      this.minLrs = new Array(n).fill(minLr as number);
    }
    this.optimizer = optimizer;
    this.factor = factor;
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    this.best = mode === "min" ? Infinity : -Infinity;
    this.#lastLr = groupLrs(optimizer);
  }

  /** Whether `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === "min") {
      return this.thresholdMode === "rel" ? a < best * (1 - t) : a < best - t;
    }
    return this.thresholdMode === "rel" ? a > best * (t + 1) : a > best + t;
  }

  /** Records this epoch's metric and reduces the rates if it has plateaued. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : Number(metric);
    this.lastEpoch++;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.#lastLr = groupLrs(this.optimizer);
  }

  /** The learning rates after the last `step()`, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }
}
