/**
 * How losses reduce their elementwise values, including PyTorch's legacy
 * `size_average` / `reduce` flags (torch/nn/_reduction.py).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";

/** How a loss reduces its elementwise values. */
export type Reduction = "mean" | "sum" | "none";

/** The reduction options every loss takes. */
export interface ReductionOptions {
  /** `"mean"` (default), `"sum"` or `"none"`. Ignored when a legacy flag is given. */
  reduction?: Reduction;
  /**
   * Deprecated (as in PyTorch): false sums instead of averaging. Giving it
   * or `reduce` overrides `reduction`.
   */
  sizeAverage?: boolean | null;
  /** Deprecated (as in PyTorch): false returns the elementwise losses. */
  reduce?: boolean | null;
}

// Python's default warning filter shows each distinct warning once.
const warned = new Set<string>();

/**
 * The reduction the legacy flags mean, exactly as PyTorch resolves them:
 * `reduce` false gives "none"; otherwise `sizeAverage` false gives "sum";
 * otherwise "mean" (null or undefined count as true).
 */
export function legacyReduction(
  sizeAverage: boolean | null | undefined,
  reduce: boolean | null | undefined,
): Reduction {
  const average = sizeAverage ?? true;
  const reduced = reduce ?? true;
  const ret: Reduction = average && reduced ? "mean" : reduced ? "sum" : "none";
  const message =
    `sizeAverage and reduce args will be deprecated, please use reduction: "${ret}" instead.`;
  if (!warned.has(message)) {
    warned.add(message);
    console.warn(message);
  }
  return ret;
}

/** Lets the next legacy flag warn again (for tests of the warning). */
export function resetLegacyWarnings(): void {
  warned.clear();
}

/** Validates a reduction string with PyTorch's message. */
export function checkReduction(reduction: unknown): Reduction {
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new RangeError(`${reduction} is not a valid value for reduction`);
  }
  return reduction;
}

/** The reduction that `options` ask for; the legacy flags win when given. */
export function resolveReduction(options: ReductionOptions = {}): Reduction {
  const { sizeAverage, reduce } = options;
  if (sizeAverage != null || reduce != null) {
    return legacyReduction(sizeAverage, reduce);
  }
  return checkReduction(options.reduction ?? "mean");
}

/** Applies `reduction` to elementwise losses. */
export function applyReduction(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "mean") return loss.mean();
  if (reduction === "sum") return loss.sum();
  return loss;
}
