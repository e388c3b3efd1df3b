/**
 * L-BFGS (torch.optim.LBFGS), with the optional strong-Wolfe line search.
 *
 * The algorithm works on the parameters flattened into one vector. Its
 * vectors (direction, curvature history) are host Float32Arrays, and every
 * quantity PyTorch computes as a float32 tensor is rounded to float32 here
 * too, so that its branch decisions follow PyTorch's.
 *
 * @module
 */
import { Tensor } from "../tensor.ts";
import { beginOp, heapF32 } from "../storage.ts";
import {
  checkNonNegative,
  Optimizer,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  type ParamState,
  withDefaults,
  wrapArray,
  writePtr,
} from "./optimizer.ts";

/** Options of `LBFGS` (PyTorch's names in camelCase, PyTorch's defaults). */
export interface LBFGSOptions {
  /** Learning rate (default 1). */
  lr: number;
  /** Maximal number of iterations per `step()` (default 20). */
  maxIter: number;
  /** Maximal number of closure evaluations per `step()` (default maxIter * 5 / 4, rounded down). */
  maxEval: number;
  /** Stop when the largest gradient element is at most this (default 1e-7). */
  toleranceGrad: number;
  /** Stop when the loss or the parameters change by less than this (default 1e-9). */
  toleranceChange: number;
  /** Number of curvature pairs kept (default 100). */
  historySize: number;
  /** `"strong_wolfe"` for a line search, or null for fixed steps (default null). */
  lineSearchFn: "strong_wolfe" | null;
}

const DEFAULTS: LBFGSOptions = {
  lr: 1,
  maxIter: 20,
  maxEval: 25,
  toleranceGrad: 1e-7,
  toleranceChange: 1e-9,
  historySize: 100,
  lineSearchFn: null,
};

const f32 = Math.fround;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return f32(s);
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

function sumAbs(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return f32(s);
}

/** out = a + alpha * b, in float32 (PyTorch's `a.add(b, alpha=alpha)`). */
function axpy(a: Float32Array, alpha: number, b: Float32Array): Float32Array {
  const al = f32(alpha);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + f32(al * b[i]);
  return out;
}

function scale(a: Float32Array, s: number): Float32Array {
  const out = new Float32Array(a.length);
  const sf = f32(s);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * sf;
  return out;
}

function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  // the minimum of the cubic through both points and slopes (minFunc's polyinterp)
  const d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2
      ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
      : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

type ObjFunc = (
  x: Float32Array[],
  t: number,
  d: Float32Array,
) => [number, Float32Array];

function strongWolfe(
  objFunc: ObjFunc,
  x: Float32Array[],
  t0: number,
  d: Float32Array,
  f: number,
  g: Float32Array,
  gtd: number,
  toleranceChange: number,
): [number, Float32Array, number, number] {
  const c1 = 1e-4, c2 = 0.9, maxLs = 25;
  let t = t0;
  const dNorm = maxAbs(d);
  let [fNew, gNew] = objFunc(x, t, d);
  let lsFuncEvals = 1;
  let gtdNew = dot(gNew, d);

  // bracket an interval containing a point satisfying the Wolfe criteria
  let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Float32Array[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f32(f + c1 * t * gtd) || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= f32(-c2 * gtd)) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // interpolate
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [
      minStep,
      maxStep,
    ]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }

  // zoom: refine the bracket until a point satisfies the criteria
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1]
    ? [0, 1]
    : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(
      bracket[0],
      bracketF[0],
      bracketGtd[0],
      bracket[1],
      bracketF[1],
      bracketGtd[1],
    );
    // a trial too close to the bracket's ends makes little progress: move it
    // 0.1 * |bracket| inside, when it happens twice or lands on an end
    const bMax = Math.max(...bracket), bMin = Math.min(...bracket);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals++;
    gtdNew = dot(gNew, d);
    lsIter++;
    if (fNew > f32(f + c1 * t * gtd) || fNew >= bracketF[lowPos]) {
      // Armijo condition not satisfied or not lower than the lowest point
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew;
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= f32(-c2 * gtd)) {
        done = true;
      } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        // the old high becomes the new low
        bracket[highPos] = bracket[lowPos];
        bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos];
        bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew;
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals];
}

/**
 * L-BFGS, as PyTorch 1.13's (after minFunc). One `step(closure)` runs up to
 * `maxIter` iterations: the direction d = -H g comes from the last
 * `historySize` curvature pairs (s = t d, y = Δg, kept when yᵀs > 1e-10) by
 * the two-loop recursion, scaled by H₀ = yᵀs / yᵀy; the step length t is
 * `min(1, 1/‖g‖₁)·lr` on the very first iteration and `lr` after, or comes
 * from a strong-Wolfe line search (c1 = 1e-4, c2 = 0.9, 25 evaluations at
 * most) with `lineSearchFn: "strong_wolfe"`. It stops at `maxIter`
 * iterations, `maxEval` closure evaluations, max |g| ≤ `toleranceGrad`,
 * or changes below `toleranceChange`.
 *
 * Only one parameter group is supported. The closure must zero the
 * gradients, compute the loss, call `backward()` and return the loss.
 * State (kept on the first parameter, as PyTorch does): `funcEvals`,
 * `nIter`, `d`, `t`, `oldDirs`, `oldStps`, `ro`, `hDiag`, `prevFlatGrad`,
 * `prevLoss`, `al`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "../../mod.ts";
 * const w = tensor([3, -2], { requiresGrad: true });
 * const opt = new optim.LBFGS([w]);
 * const closure = () => {
 *   opt.zeroGrad();
 *   const loss = w.sub(tensor([1, 1])).pow(2).sum();
 *   loss.backward();
 *   return loss;
 * };
 * opt.step(closure);
 * console.log(w.toArray()); // about [1, 1]
 * ```
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  /** Parameters and options; unset options take PyTorch's defaults. */
  constructor(
    params: Params<LBFGSOptions>,
    options: Partial<LBFGSOptions> = {},
  ) {
    const o = { ...options };
    if (o.maxEval === undefined || o.maxEval === null) {
      o.maxEval = Math.floor((o.maxIter ?? DEFAULTS.maxIter) * 5 / 4);
    }
    super("LBFGS", params, withDefaults("LBFGS", DEFAULTS, o));
    if (this.paramGroups.length !== 1) {
      throw new RangeError(
        "LBFGS doesn't support per-parameter options (parameter groups)",
      );
    }
  }

  /** Checks LBFGS's hyperparameters. */
  protected checkOptions(o: LBFGSOptions): void {
    checkNonNegative(o.lr, "learning rate");
    for (const key of ["maxIter", "maxEval", "historySize"] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1) {
        throw new RangeError(
          `LBFGS: ${key} must be a positive integer, got ${o[key]}`,
        );
      }
    }
    if (o.lineSearchFn !== null && o.lineSearchFn !== "strong_wolfe") {
      throw new RangeError("only 'strong_wolfe' is supported");
    }
  }

  /** LBFGS keeps a single group: adding one throws, as in PyTorch's constructor. */
  override addParamGroup(_group: ParamGroupInput<LBFGSOptions>): void {
    throw new RangeError(
      "LBFGS doesn't support per-parameter options (parameter groups)",
    );
  }

  /** Unused: LBFGS updates all parameters together in `step()`. */
  protected update(
    _param: Tensor,
    _grad: Tensor,
    _group: ParamGroup<LBFGSOptions>,
    _state: ParamState,
  ): void {
    throw new Error("LBFGS updates its parameters in step()");
  }

  /** State vectors are flat over all parameters. */
  protected override checkLoadedState(
    _param: Tensor,
    state: ParamState,
    index: string,
  ): void {
    const n = this.numel();
    const check = (v: unknown, key: string): void => {
      if (Array.isArray(v)) v.forEach((x) => check(x, key));
      else if (v instanceof Tensor && v.numel() !== n) {
        throw new RangeError(
          `loaded state for parameter ${index}: '${key}' has ${v.numel()} elements but the parameters have ${n}`,
        );
      }
    };
    for (const [key, value] of Object.entries(state)) check(value, key);
  }

  /** Total number of elements over all parameters. */
  private numel(): number {
    let n = 0;
    for (const p of this.paramGroups[0].params) n += p.numel();
    return n;
  }

  /** All gradients, flattened into one vector (zeros where a grad is null). */
  private gatherFlatGrad(): Float32Array {
    const out = new Float32Array(this.numel());
    let off = 0;
    for (const p of this.paramGroups[0].params) {
      const g = p.grad;
      if (g !== null) {
        this.checkGrad(p, g);
        out.set(g.toFloat32Array(), off);
      }
      off += p.numel();
    }
    return out;
  }

  /** Parameters += t * update, in float32 (PyTorch's `_add_grad`). */
  private addGrad(t: number, update: Float32Array): void {
    const tf = f32(t);
    let off = 0;
    for (const p of this.paramGroups[0].params) {
      const n = p.numel();
      beginOp();
      const base = writePtr(p) >>> 2;
      const heap = heapF32();
      for (let i = 0; i < n; i++) {
        heap[base + i] = heap[base + i] + f32(tf * update[off + i]);
      }
      off += n;
    }
  }

  /** Copies of the parameters' values. */
  private cloneParams(): Float32Array[] {
    return this.paramGroups[0].params.map((p) => p.toFloat32Array());
  }

  /** Writes saved values back into the parameters. */
  private setParams(data: Float32Array[]): void {
    this.paramGroups[0].params.forEach((p, i) => {
      beginOp();
      heapF32().set(data[i], writePtr(p) >>> 2);
    });
  }

  /**
   * Runs up to `maxIter` L-BFGS iterations, calling `closure` to reevaluate
   * the loss and gradients. Returns the loss of the first evaluation.
   */
  override step<L extends Tensor | number>(closure?: () => L): L {
    if (typeof closure !== "function") {
      throw new TypeError(
        "LBFGS.step() requires a closure that reevaluates the model and returns the loss",
      );
    }
    const group = this.paramGroups[0];
    const {
      lr,
      maxIter,
      maxEval,
      toleranceGrad,
      toleranceChange,
      lineSearchFn,
      historySize,
    } = group;
    const evaluate = (): number => {
      const l = closure();
      return typeof l === "number" ? l : l.item();
    };
    const state = this.stateOf(group.params[0]);
    state.funcEvals = (state.funcEvals as number | undefined) ?? 0;
    state.nIter = (state.nIter as number | undefined) ?? 0;

    // evaluate the initial f(x) and df/dx
    const origLoss = closure();
    let loss = typeof origLoss === "number" ? origLoss : origLoss.item();
    let currentEvals = 1;
    state.funcEvals = (state.funcEvals as number) + 1;
    let flatGrad = this.gatherFlatGrad();
    let optCond = maxAbs(flatGrad) <= f32(toleranceGrad);
    if (optCond) return origLoss;

    const vec = (v: StateLike): Float32Array | null =>
      v instanceof Tensor ? v.toFloat32Array() : null;
    let d = vec(state.d);
    let t = (state.t as number | undefined) ?? 0;
    let oldDirs = ((state.oldDirs as Tensor[] | undefined) ?? []).map((x) =>
      x.toFloat32Array()
    );
    let oldStps = ((state.oldStps as Tensor[] | undefined) ?? []).map((x) =>
      x.toFloat32Array()
    );
    let ro = [...((state.ro as number[] | undefined) ?? [])];
    let hDiag = (state.hDiag as number | undefined) ?? 1;
    let prevFlatGrad = vec(state.prevFlatGrad);
    let prevLoss = (state.prevLoss as number | undefined) ?? 0;
    let al = state.al === undefined
      ? null
      : [...(state.al as (number | null)[])];

    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      state.nIter = (state.nIter as number) + 1;

      // compute the descent direction
      if (state.nIter === 1 || d === null || prevFlatGrad === null) {
        d = scale(flatGrad, -1);
        oldDirs = [];
        oldStps = [];
        ro = [];
        hDiag = 1;
      } else {
        const y = axpy(flatGrad, -1, prevFlatGrad);
        const s = scale(d, t);
        const ys = dot(y, s);
        if (ys > f32(1e-10)) {
          if (oldDirs.length === historySize) {
            // shift the history by one (limited memory)
            oldDirs.shift();
            oldStps.shift();
            ro.shift();
          }
          oldDirs.push(y);
          oldStps.push(s);
          ro.push(f32(1 / ys));
          hDiag = f32(ys / dot(y, y));
        }
        // two-loop recursion: d = -H g
        const numOld = oldDirs.length;
        if (al === null) al = new Array(historySize).fill(null);
        let q = scale(flatGrad, -1);
        for (let i = numOld - 1; i >= 0; i--) {
          al[i] = f32(dot(oldStps[i], q) * ro[i]);
          q = axpy(q, -(al[i] as number), oldDirs[i]);
        }
        let r = scale(q, hDiag);
        for (let i = 0; i < numOld; i++) {
          const be = f32(dot(oldDirs[i], r) * ro[i]);
          r = axpy(r, f32((al[i] as number) - be), oldStps[i]);
        }
        d = r;
      }
      prevFlatGrad = flatGrad.slice();
      prevLoss = loss;

      // step length
      if (state.nIter === 1) {
        const inv = f32(1 / sumAbs(flatGrad));
        t = inv < 1 ? f32(inv * lr) : lr;
      } else {
        t = lr;
      }
      const gtd = dot(flatGrad, d);
      // the directional derivative is below tolerance
      if (gtd > f32(-toleranceChange)) break;

      let lsFuncEvals = 0;
      if (lineSearchFn !== null) {
        const xInit = this.cloneParams();
        const objFunc: ObjFunc = (x, tt, dd) => {
          this.addGrad(tt, dd);
          const l = evaluate();
          const g = this.gatherFlatGrad();
          this.setParams(x);
          return [l, g];
        };
        [loss, flatGrad, t, lsFuncEvals] = strongWolfe(
          objFunc,
          xInit,
          t,
          d,
          loss,
          flatGrad,
          gtd,
          toleranceChange,
        );
        this.addGrad(t, d);
        optCond = maxAbs(flatGrad) <= f32(toleranceGrad);
      } else {
        // no line search: a fixed step
        this.addGrad(t, d);
        if (nIter !== maxIter) {
          // re-evaluate only if another iteration follows
          loss = evaluate();
          flatGrad = this.gatherFlatGrad();
          optCond = maxAbs(flatGrad) <= f32(toleranceGrad);
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.funcEvals = (state.funcEvals as number) + lsFuncEvals;

      // check the stopping conditions
      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if (maxAbs(scale(d, t)) <= f32(toleranceChange)) break; // lack of progress
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }

    const n = flatGrad.length;
    state.d = d === null ? null : wrapArray(d, [n]);
    state.t = t;
    state.oldDirs = oldDirs.map((x) => wrapArray(x, [n]));
    state.oldStps = oldStps.map((x) => wrapArray(x, [n]));
    state.ro = ro;
    state.hDiag = hDiag;
    state.prevFlatGrad = prevFlatGrad === null
      ? null
      : wrapArray(prevFlatGrad, [n]);
    state.prevLoss = prevLoss;
    if (al !== null) state.al = al;
    return origLoss;
  }
}

type StateLike = ParamState[string] | undefined;
