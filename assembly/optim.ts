// Fused optimizer updates: one pass over a parameter, its gradient and its
// state, in place. TypeScript (src/optim/) validates, creates the state and
// turns the hyperparameters into the constants passed here (computed in
// double precision, then rounded to f32 at the call, as PyTorch rounds Python
// scalars); each kernel only does the arithmetic, in the order and precision
// (float32) of PyTorch 1.13's single-tensor implementations.
//
// Every update is elementwise, so each kernel writes its body once over v128
// lanes. The last n % 4 elements are copied into a static scratch block, run
// through the same body and copied back: the tail gets exactly the arithmetic
// of the main loop (f32x4 lane ops round like scalar f32 ops).
//
// Flag bits shared by all kernels: 1 maximize (negate the gradient first),
// 16 weight decay (g += wd * p). Others are listed per kernel.

/** Scratch for the tail: one 16-byte slot per operand. */
const tail = memory.data(16 * 8);

@inline function slot(k: i32): usize {
  return tail + (<usize>k << 4);
}

@inline function tailIn(k: i32, src: usize, rem: i32): void {
  memory.copy(slot(k), src, <usize>rem << 2);
}

@inline function tailOut(k: i32, dst: usize, rem: i32): void {
  memory.copy(dst, slot(k), <usize>rem << 2);
}

/** The gradient as the update sees it: negated when maximizing, plus wd * p. */
@inline function effectiveGrad(g: usize, pv: v128, wd: v128, flags: i32): v128 {
  let v = v128.load(g);
  if ((flags & 1) != 0) v = f32x4.neg(v);
  if ((flags & 16) != 0) v = f32x4.add(v, f32x4.mul(wd, pv));
  return v;
}

/** v * s + t * w: PyTorch's `v.mul_(s).add_(w, alpha=t)`. */
@inline function decayAdd(v: v128, s: v128, w: v128, t: v128): v128 {
  return f32x4.add(f32x4.mul(v, s), f32x4.mul(t, w));
}

// ---- SGD ----

@inline function sgdBody(
  p: usize, g: usize, buf: usize,
  negLr: v128, momentum: v128, dampAlpha: v128, wd: v128, flags: i32,
): void {
  const pv = v128.load(p);
  let d = effectiveGrad(g, pv, wd, flags);
  if ((flags & 2) != 0) {
    const b = (flags & 4) != 0 ? d : decayAdd(v128.load(buf), momentum, d, dampAlpha);
    v128.store(buf, b);
    d = (flags & 8) != 0 ? f32x4.add(d, f32x4.mul(momentum, b)) : b;
  }
  v128.store(p, f32x4.add(pv, f32x4.mul(negLr, d)));
}

/**
 * SGD. dampAlpha = 1 - dampening. flags: 2 momentum buffer in use, 4 first
 * step (the buffer takes the gradient), 8 nesterov.
 */
export function sgdStep(
  p: usize, g: usize, buf: usize, n: i32,
  negLr: f32, momentum: f32, dampAlpha: f32, wd: f32, flags: i32,
): void {
  const a = f32x4.splat(negLr), b = f32x4.splat(momentum);
  const c = f32x4.splat(dampAlpha), d = f32x4.splat(wd);
  const useBuf = (flags & 2) != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    sgdBody(p + k, g + k, buf + k, a, b, c, d, flags);
  }
  const rem = n - i;
  if (rem == 0) return;
  const k = <usize>i << 2;
  tailIn(0, p + k, rem);
  tailIn(1, g + k, rem);
  if (useBuf) tailIn(2, buf + k, rem);
  sgdBody(slot(0), slot(1), slot(2), a, b, c, d, flags);
  tailOut(0, p + k, rem);
  if (useBuf) tailOut(2, buf + k, rem);
}

// ---- Adam / AdamW ----

@inline function adamBody(
  p: usize, g: usize, m: usize, v: usize, vmax: usize,
  negStep: v128, b1: v128, omb1: v128, b2: v128, omb2: v128,
  bc2Sqrt: v128, eps: v128, wd: v128, decay: v128, flags: i32,
): void {
  let pv = v128.load(p);
  if ((flags & 4) != 0) pv = f32x4.mul(pv, decay);
  const gv = effectiveGrad(g, pv, wd, flags);
  const mv = decayAdd(v128.load(m), b1, gv, omb1);
  const vv = f32x4.add(f32x4.mul(v128.load(v), b2), f32x4.mul(f32x4.mul(omb2, gv), gv));
  v128.store(m, mv);
  v128.store(v, vv);
  let second = vv;
  if ((flags & 2) != 0) {
    second = f32x4.max(v128.load(vmax), vv);
    v128.store(vmax, second);
  }
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(second), bc2Sqrt), eps);
  v128.store(p, f32x4.add(pv, f32x4.div(f32x4.mul(negStep, mv), denom)));
}

/**
 * Adam and AdamW. negStep = -lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t),
 * decay = 1 - lr * weightDecay (AdamW). flags: 2 amsgrad (vmax in use),
 * 4 decoupled weight decay (p *= decay first).
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  negStep: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  bc2Sqrt: f32, eps: f32, wd: f32, decay: f32, flags: i32,
): void {
  const a = f32x4.splat(negStep);
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2);
  const s = f32x4.splat(bc2Sqrt), e = f32x4.splat(eps);
  const w = f32x4.splat(wd), dc = f32x4.splat(decay);
  const ams = (flags & 2) != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    adamBody(p + k, g + k, m + k, v + k, vmax + k, a, b1, c1, b2, c2, s, e, w, dc, flags);
  }
  const rem = n - i;
  if (rem == 0) return;
  const k = <usize>i << 2;
  tailIn(0, p + k, rem);
  tailIn(1, g + k, rem);
  tailIn(2, m + k, rem);
  tailIn(3, v + k, rem);
  if (ams) tailIn(4, vmax + k, rem);
  adamBody(slot(0), slot(1), slot(2), slot(3), slot(4), a, b1, c1, b2, c2, s, e, w, dc, flags);
  tailOut(0, p + k, rem);
  tailOut(2, m + k, rem);
  tailOut(3, v + k, rem);
  if (ams) tailOut(4, vmax + k, rem);
}

// ---- Adagrad ----

@inline function adagradBody(
  p: usize, g: usize, sum: usize, negClr: v128, eps: v128, wd: v128, flags: i32,
): void {
  const pv = v128.load(p);
  const gv = effectiveGrad(g, pv, wd, flags);
  const sv = f32x4.add(v128.load(sum), f32x4.mul(gv, gv));
  v128.store(sum, sv);
  const std = f32x4.add(f32x4.sqrt(sv), eps);
  v128.store(p, f32x4.add(pv, f32x4.div(f32x4.mul(negClr, gv), std)));
}

/** Adagrad. negClr = -lr / (1 + (t - 1) * lrDecay). */
export function adagradStep(
  p: usize, g: usize, sum: usize, n: i32, negClr: f32, eps: f32, wd: f32, flags: i32,
): void {
  const a = f32x4.splat(negClr), e = f32x4.splat(eps), w = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    adagradBody(p + k, g + k, sum + k, a, e, w, flags);
  }
  const rem = n - i;
  if (rem == 0) return;
  const k = <usize>i << 2;
  tailIn(0, p + k, rem);
  tailIn(1, g + k, rem);
  tailIn(2, sum + k, rem);
  adagradBody(slot(0), slot(1), slot(2), a, e, w, flags);
  tailOut(0, p + k, rem);
  tailOut(2, sum + k, rem);
}

// ---- RMSprop ----

@inline function rmspropBody(
  p: usize, g: usize, sq: usize, gavg: usize, buf: usize,
  negLr: v128, alpha: v128, oma: v128, eps: v128, momentum: v128, wd: v128, flags: i32,
): void {
  const pv = v128.load(p);
  const gv = effectiveGrad(g, pv, wd, flags);
  const sv = f32x4.add(f32x4.mul(v128.load(sq), alpha), f32x4.mul(f32x4.mul(oma, gv), gv));
  v128.store(sq, sv);
  let avg: v128;
  if ((flags & 2) != 0) {
    const ga = decayAdd(v128.load(gavg), alpha, gv, oma);
    v128.store(gavg, ga);
    avg = f32x4.sqrt(f32x4.sub(sv, f32x4.mul(ga, ga)));
  } else {
    avg = f32x4.sqrt(sv);
  }
  avg = f32x4.add(avg, eps);
  if ((flags & 4) != 0) {
    const b = f32x4.add(f32x4.mul(v128.load(buf), momentum), f32x4.div(gv, avg));
    v128.store(buf, b);
    v128.store(p, f32x4.add(pv, f32x4.mul(negLr, b)));
  } else {
    v128.store(p, f32x4.add(pv, f32x4.div(f32x4.mul(negLr, gv), avg)));
  }
}

/** RMSprop. oma = 1 - alpha. flags: 2 centered (gavg in use), 4 momentum (buf in use). */
export function rmspropStep(
  p: usize, g: usize, sq: usize, gavg: usize, buf: usize, n: i32,
  negLr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, momentum: f32, wd: f32, flags: i32,
): void {
  const a = f32x4.splat(negLr), al = f32x4.splat(alpha), oa = f32x4.splat(oneMinusAlpha);
  const e = f32x4.splat(eps), mo = f32x4.splat(momentum), w = f32x4.splat(wd);
  const centered = (flags & 2) != 0, useBuf = (flags & 4) != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    rmspropBody(p + k, g + k, sq + k, gavg + k, buf + k, a, al, oa, e, mo, w, flags);
  }
  const rem = n - i;
  if (rem == 0) return;
  const k = <usize>i << 2;
  tailIn(0, p + k, rem);
  tailIn(1, g + k, rem);
  tailIn(2, sq + k, rem);
  if (centered) tailIn(3, gavg + k, rem);
  if (useBuf) tailIn(4, buf + k, rem);
  rmspropBody(slot(0), slot(1), slot(2), slot(3), slot(4), a, al, oa, e, mo, w, flags);
  tailOut(0, p + k, rem);
  tailOut(2, sq + k, rem);
  if (centered) tailOut(3, gavg + k, rem);
  if (useBuf) tailOut(4, buf + k, rem);
}

// ---- Adamax ----

@inline function adamaxBody(
  p: usize, g: usize, m: usize, u: usize,
  negClr: v128, b1: v128, omb1: v128, b2: v128, eps: v128, wd: v128, flags: i32,
): void {
  const pv = v128.load(p);
  const gv = effectiveGrad(g, pv, wd, flags);
  const mv = decayAdd(v128.load(m), b1, gv, omb1);
  // eps sits inside the max, as in PyTorch 1.13; f32x4.max propagates NaN like torch.amax
  const uv = f32x4.max(f32x4.mul(v128.load(u), b2), f32x4.add(f32x4.abs(gv), eps));
  v128.store(m, mv);
  v128.store(u, uv);
  v128.store(p, f32x4.add(pv, f32x4.div(f32x4.mul(negClr, mv), uv)));
}

/** Adamax. negClr = -lr / (1 - beta1^t). */
export function adamaxStep(
  p: usize, g: usize, m: usize, u: usize, n: i32,
  negClr: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, eps: f32, wd: f32, flags: i32,
): void {
  const a = f32x4.splat(negClr), b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), e = f32x4.splat(eps), w = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    adamaxBody(p + k, g + k, m + k, u + k, a, b1, c1, b2, e, w, flags);
  }
  const rem = n - i;
  if (rem == 0) return;
  const k = <usize>i << 2;
  tailIn(0, p + k, rem);
  tailIn(1, g + k, rem);
  tailIn(2, m + k, rem);
  tailIn(3, u + k, rem);
  adamaxBody(slot(0), slot(1), slot(2), slot(3), a, b1, c1, b2, e, w, flags);
  tailOut(0, p + k, rem);
  tailOut(2, m + k, rem);
  tailOut(3, u + k, rem);
}

// ---- ASGD ----

@inline function asgdBody(
  p: usize, g: usize, ax: usize, decay: v128, negEta: v128, mu: v128, wd: v128, flags: i32,
): void {
  let pv = v128.load(p);
  const gv = effectiveGrad(g, pv, wd, flags);
  pv = f32x4.mul(pv, decay);
  pv = f32x4.add(pv, f32x4.mul(negEta, gv));
  v128.store(p, pv);
  if ((flags & 2) != 0) {
    const a = v128.load(ax);
    v128.store(ax, f32x4.add(a, f32x4.mul(f32x4.sub(pv, a), mu)));
  } else {
    v128.store(ax, pv);
  }
}

/** ASGD. decay = 1 - lambd * eta. flags: 2 averaging (mu != 1). */
export function asgdStep(
  p: usize, g: usize, ax: usize, n: i32, decay: f32, negEta: f32, mu: f32, wd: f32, flags: i32,
): void {
  const d = f32x4.splat(decay), a = f32x4.splat(negEta), m = f32x4.splat(mu), w = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    asgdBody(p + k, g + k, ax + k, d, a, m, w, flags);
  }
  const rem = n - i;
  if (rem == 0) return;
  const k = <usize>i << 2;
  tailIn(0, p + k, rem);
  tailIn(1, g + k, rem);
  tailIn(2, ax + k, rem);
  asgdBody(slot(0), slot(1), slot(2), d, a, m, w, flags);
  tailOut(0, p + k, rem);
  tailOut(2, ax + k, rem);
}

// ---- Rprop ----

@inline function rpropBody(
  p: usize, g: usize, prev: usize, size: usize,
  etaMinus: v128, etaPlus: v128, lo: v128, hi: v128, flags: i32,
): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let gv = v128.load(g);
  if ((flags & 1) != 0) gv = f32x4.neg(gv);
  const s = f32x4.mul(gv, v128.load(prev));
  const neg = f32x4.lt(s, zero);
  // eta+ where the sign held, eta- where it flipped, 1 at zero, NaN stays NaN
  const factor = v128.bitselect(
    etaPlus,
    v128.bitselect(etaMinus, v128.bitselect(one, s, f32x4.eq(s, zero)), neg),
    f32x4.gt(s, zero),
  );
  const st = f32x4.min(f32x4.max(f32x4.mul(v128.load(size), factor), lo), hi);
  v128.store(size, st);
  // after a sign change the gradient entry counts as 0
  gv = v128.andnot(gv, neg);
  const sign = f32x4.sub(
    v128.and(f32x4.gt(gv, zero), one),
    v128.and(f32x4.lt(gv, zero), one),
  );
  v128.store(p, f32x4.sub(v128.load(p), f32x4.mul(sign, st)));
  v128.store(prev, gv);
}

/** Rprop: per-element step sizes, clamped to [lo, hi]. */
export function rpropStep(
  p: usize, g: usize, prev: usize, size: usize, n: i32,
  etaMinus: f32, etaPlus: f32, lo: f32, hi: f32, flags: i32,
): void {
  const em = f32x4.splat(etaMinus), ep = f32x4.splat(etaPlus);
  const l = f32x4.splat(lo), h = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = <usize>i << 2;
    rpropBody(p + k, g + k, prev + k, size + k, em, ep, l, h, flags);
  }
  const rem = n - i;
  if (rem == 0) return;
  const k = <usize>i << 2;
  tailIn(0, p + k, rem);
  tailIn(1, g + k, rem);
  tailIn(2, prev + k, rem);
  tailIn(3, size + k, rem);
  rpropBody(slot(0), slot(1), slot(2), slot(3), em, ep, l, h, flags);
  tailOut(0, p + k, rem);
  tailOut(2, prev + k, rem);
  tailOut(3, size + k, rem);
}
