// The LR schedulers against PyTorch's closed forms (the schedulers compute
// the recursive forms, as PyTorch's step() does).
import { optim, tensor } from "../../mod.ts";
import { assertClose, assertEquals, assertThrows } from "../_assert.ts";

const { lrScheduler } = optim;

function twoGroups(lr0 = 0.1, lr1 = 0.02): optim.SGD {
  return new optim.SGD([
    { params: [tensor([1], { requiresGrad: true })] },
    { params: [tensor([2], { requiresGrad: true })], lr: lr1 },
  ], { lr: lr0 });
}

/** Rates seen at epochs 0..n-1 (one optimizer step per epoch). */
function schedule(
  opt: optim.Optimizer,
  sched: { step(): void; getLastLr(): number[] },
  n: number,
): number[][] {
  const out: number[][] = [];
  for (let e = 0; e < n; e++) {
    out.push(sched.getLastLr());
    assertEquals(opt.paramGroups.map((g) => g.lr), sched.getLastLr());
    opt.step();
    sched.step();
  }
  return out;
}

function closeRows(
  actual: number[][],
  expected: number[][],
  what: string,
): void {
  assertEquals(actual.length, expected.length);
  actual.forEach((row, e) =>
    assertClose(row, expected[e], 1e-12, 1e-15, `${what} epoch ${e}`)
  );
}

Deno.test("StepLR: base * gamma^floor(epoch / stepSize)", () => {
  const opt = twoGroups();
  const sched = new lrScheduler.StepLR(opt, 3, { gamma: 0.5 });
  const got = schedule(opt, sched, 20);
  closeRows(
    got,
    got.map((_, e) => [0.1, 0.02].map((b) => b * 0.5 ** Math.floor(e / 3))),
    "StepLR",
  );
  assertEquals(opt.paramGroups[0].initialLr, 0.1);
});

Deno.test("MultiStepLR: base * gamma^(milestones passed), repeated milestones count twice", () => {
  const opt = twoGroups();
  const milestones = [2, 5, 5, 9];
  const sched = new lrScheduler.MultiStepLR(opt, milestones, { gamma: 0.1 });
  const got = schedule(opt, sched, 14);
  const passed = (e: number) => milestones.filter((m) => m <= e).length;
  closeRows(
    got,
    got.map((_, e) => [0.1, 0.02].map((b) => b * 0.1 ** passed(e))),
    "MultiStepLR",
  );
});

Deno.test("ExponentialLR: base * gamma^epoch", () => {
  const opt = twoGroups();
  const got = schedule(opt, new lrScheduler.ExponentialLR(opt, 0.9), 30);
  closeRows(
    got,
    got.map((_, e) => [0.1, 0.02].map((b) => b * 0.9 ** e)),
    "ExponentialLR",
  );
});

Deno.test("CosineAnnealingLR: etaMin + (base - etaMin)(1 + cos(pi epoch / tMax)) / 2, periodically", () => {
  const opt = twoGroups();
  const tMax = 7, etaMin = 0.001;
  const got = schedule(
    opt,
    new lrScheduler.CosineAnnealingLR(opt, tMax, { etaMin }),
    4 * tMax + 3,
  );
  const closed = got.map((_, e) =>
    [0.1, 0.02].map((b) =>
      etaMin + (b - etaMin) * (1 + Math.cos(Math.PI * e / tMax)) / 2
    )
  );
  got.forEach((row, e) =>
    assertClose(row, closed[e], 1e-9, 1e-12, `epoch ${e}`)
  );
});

Deno.test("LambdaLR: base * lambda(epoch), one lambda per group", () => {
  const opt = twoGroups();
  const f0 = (e: number) => 0.95 ** e;
  const f1 = (e: number) => 1 / (e + 1);
  const got = schedule(opt, new lrScheduler.LambdaLR(opt, [f0, f1]), 12);
  closeRows(got, got.map((_, e) => [0.1 * f0(e), 0.02 * f1(e)]), "LambdaLR");
  assertThrows(
    () => new lrScheduler.LambdaLR(twoGroups(), [f0]),
    RangeError,
    "Expected 2 lr_lambdas, but got 1",
  );
});

Deno.test("schedulers drive the optimizer's steps and check their arguments", () => {
  const w = tensor([1], { requiresGrad: true });
  const opt = new optim.SGD([w], { lr: 1 });
  const sched = new lrScheduler.StepLR(opt, 1, { gamma: 0.5 });
  for (let e = 0; e < 3; e++) {
    opt.zeroGrad();
    w.sum().backward(); // gradient 1
    opt.step();
    sched.step();
  }
  // 1 - (1 + 0.5 + 0.25)
  assertClose(w.toFloat32Array(), [-0.75], 0, 0);
  assertThrows(
    () => new lrScheduler.StepLR(opt, 0),
    RangeError,
    "stepSize must be a positive integer",
  );
  assertThrows(
    () => new lrScheduler.ExponentialLR(twoGroups(), 0.9, { lastEpoch: 3 }),
    RangeError,
    "param 'initialLr' is not specified in paramGroups[0] when resuming an optimizer",
  );
  // resuming with initialLr set continues the closed form
  const resumed = twoGroups();
  resumed.paramGroups.forEach((g) => (g.initialLr = g.lr));
  const s = new lrScheduler.ExponentialLR(resumed, 0.5, { lastEpoch: 3 });
  assertEquals(s.lastEpoch, 4);
});

Deno.test("ReduceLROnPlateau: reduces after patience bad epochs, with cooldown and minLr", () => {
  const opt = twoGroups(1, 0.5);
  const sched = new lrScheduler.ReduceLROnPlateau(opt, {
    patience: 2,
    factor: 0.5,
    cooldown: 1,
    minLr: [0.2, 0.3],
  });
  const metrics = [10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8];
  const lrs = metrics.map((m) => {
    sched.step(m);
    return sched.getLastLr();
  });
  // bad epochs at indices 2, 3, 4 -> reduce at 4; the cooldown eats 5; 6, 7,
  // 8 bad -> reduce at 8; 10 improves; 11, 12, 13 bad -> reduce to minLr
  assertEquals(lrs.map((r) => r[0]), [
    1,
    1,
    1,
    1,
    0.5,
    0.5,
    0.5,
    0.5,
    0.25,
    0.25,
    0.25,
    0.25,
    0.25,
    0.2,
  ]);
  assertEquals(lrs.map((r) => r[1]), [
    0.5,
    0.5,
    0.5,
    0.5,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
  ]);
  const max = new lrScheduler.ReduceLROnPlateau(twoGroups(), {
    mode: "max",
    patience: 0,
    thresholdMode: "abs",
    threshold: 0.5,
  });
  max.step(tensor(1));
  max.step(1.4); // not better by more than 0.5: reduce (patience 0)
  assertClose(max.getLastLr(), [0.01, 0.002], 1e-12, 0);
  assertThrows(
    () => new lrScheduler.ReduceLROnPlateau(twoGroups(), { factor: 1 }),
    RangeError,
    "Factor should be < 1.0.",
  );
  assertThrows(
    () =>
      new lrScheduler.ReduceLROnPlateau(twoGroups(), { mode: "up" as "max" }),
    RangeError,
    "mode up is unknown!",
  );
});
