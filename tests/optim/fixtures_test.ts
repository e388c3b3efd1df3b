// Every case of the PyTorch optimizer fixtures, built from the case's own
// data: X, Y, initial parameters, hyperparameters (constructor kwargs or
// param groups), step count, procedure and objective.
import type { Tensor } from "../../mod.ts";
import { assert, assertClose, assertEquals } from "../_assert.ts";
import {
  camel,
  type FixtureTensor,
  fromFixture,
  hyperparameters,
  loadFixture,
  makeOptimizer,
  mse,
  stepSlice,
} from "./_fixture_util.ts";

interface OptimizerCase {
  name: string;
  optimizer: string;
  constructor_kwargs: Record<string, unknown>;
  defaults: Record<string, unknown>;
  param_groups: (Record<string, unknown> & { params: string[] })[];
  model: { params: string[] };
  loss: { reduction: "mean" | "sum"; negated: boolean };
  X: FixtureTensor;
  Y: FixtureTensor;
  initial: Record<string, FixtureTensor>;
  steps: number;
  procedure: string;
  losses: number[];
  weight_after_step: FixtureTensor;
  bias_after_step: FixtureTensor;
  grad_weight: FixtureTensor;
  grad_bias: FixtureTensor;
  final_loss: number;
  final_state: Record<string, unknown>;
  closure_evals_per_step?: number[];
}

const fixture = loadFixture<{ cases: OptimizerCase[] }>(
  "torch/optimizers.json",
);

/** Tolerances from the fixtures README. */
function tolerances(c: OptimizerCase): { steps: number; state: number } {
  if (c.optimizer === "LBFGS") {
    const t = c.name === "LBFGS/max_iter_history_small" ? 5e-4 : 1e-4;
    return { steps: t, state: t };
  }
  return { steps: 1e-5, state: 1e-4 };
}

function runCase(c: OptimizerCase): void {
  const params: Record<string, Tensor> = {};
  for (const name of c.model.params) {
    params[name] = fromFixture(c.initial[name], true);
  }
  const { weight, bias } = params;
  const X = fromFixture(c.X);
  const Y = fromFixture(c.Y);
  const objective = (): Tensor => {
    const loss = mse(X.matmul(weight.t()).add(bias), Y, c.loss.reduction);
    return c.loss.negated ? loss.neg() : loss;
  };
  const opt = makeOptimizer(
    c.optimizer,
    c.param_groups,
    c.defaults,
    c.constructor_kwargs,
    params,
  );
  const tol = tolerances(c);

  // the groups resolved the hyperparameters as PyTorch did
  assertEquals(opt.paramGroups.length, c.param_groups.length);
  c.param_groups.forEach((g, i) => {
    const ours = opt.paramGroups[i] as Record<string, unknown>;
    for (const [key, value] of Object.entries(hyperparameters(g))) {
      assertEquals(ours[key], value, `${c.name}: group ${i} ${key}`);
    }
    assertEquals(
      ours.params as Tensor[],
      g.params.map((n) => params[n]),
      `${c.name}: group ${i} params`,
    );
  });
  for (const [key, value] of Object.entries(hyperparameters(c.defaults))) {
    assertEquals(
      (opt.defaults as unknown as Record<string, unknown>)[key],
      value,
      `${c.name}: default ${key}`,
    );
  }

  const isLbfgs = c.procedure.startsWith("closure");
  for (let k = 0; k < c.steps; k++) {
    let loss: number;
    let gw: Float32Array, gb: Float32Array;
    if (isLbfgs) {
      let first: [Float32Array, Float32Array] | null = null;
      let closureEvals = 0;
      const closure = (): Tensor => {
        closureEvals++;
        opt.zeroGrad();
        const l = objective();
        l.backward();
        first ??= [
          weight.grad!.toFloat32Array(),
          bias.grad!.toFloat32Array(),
        ];
        return l;
      };
      loss = (opt.step(closure) as Tensor).item();
      [gw, gb] = first!;
      const evals = c.closure_evals_per_step![k];
      assert(
        Math.abs(closureEvals - evals) <= 1,
        `${c.name} step ${k}: ${closureEvals} closure evaluations, PyTorch ${evals}`,
      );
    } else {
      opt.zeroGrad();
      const l = objective();
      l.backward();
      loss = l.item();
      gw = weight.grad!.toFloat32Array();
      gb = bias.grad!.toFloat32Array();
      opt.step();
    }
    const at = `${c.name} step ${k}`;
    assertClose([loss], [c.losses[k]], tol.steps, tol.steps, `${at} loss`);
    assertClose(
      gw,
      stepSlice(c.grad_weight, k),
      tol.steps,
      tol.steps,
      `${at} grad weight`,
    );
    assertClose(
      gb,
      stepSlice(c.grad_bias, k),
      tol.steps,
      tol.steps,
      `${at} grad bias`,
    );
    assertClose(
      weight.toFloat32Array(),
      stepSlice(c.weight_after_step, k),
      tol.steps,
      tol.steps,
      `${at} weight`,
    );
    assertClose(
      bias.toFloat32Array(),
      stepSlice(c.bias_after_step, k),
      tol.steps,
      tol.steps,
      `${at} bias`,
    );
  }
  assertClose(
    [objective().item()],
    [c.final_loss],
    tol.steps,
    tol.steps,
    `${c.name} final loss`,
  );

  // final state: per parameter (keyed by name), or global (LBFGS keeps it on
  // the first parameter)
  const first = opt.paramGroups[0].params[0];
  const checkEntry = (
    state: Record<string, unknown> | undefined,
    key: string,
    expected: unknown,
    where: string,
  ): void => {
    assert(state !== undefined, `${where}: no state`);
    const ours = state[camel(key)];
    if (typeof expected === "number" && c.closure_evals_per_step) {
      // LBFGS's counters follow branch decisions made near float32 noise:
      // informative, within one (fixtures README)
      assert(
        Number.isInteger(ours) && Math.abs((ours as number) - expected) <= 1,
        `${where}: got ${ours}, expected ${expected} (within 1)`,
      );
    } else if (typeof expected === "number") {
      assertClose([ours as number], [expected], tol.state, tol.state, where);
    } else {
      const e = expected as FixtureTensor;
      const t = ours as Tensor;
      assertEquals([...t.shape], e.shape, `${where} shape`);
      assertClose(t.toFloat32Array(), e.data, tol.state, tol.state, where);
    }
  };
  for (const [key, value] of Object.entries(c.final_state)) {
    if (key in params) {
      const state = opt.state.get(params[key]);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        checkEntry(state, k, v, `${c.name} state ${key}.${k}`);
      }
      // nothing beyond what PyTorch keeps (null entries are PyTorch's None)
      for (const [k, v] of Object.entries(state ?? {})) {
        if (v === null) continue;
        assert(
          Object.keys(value as object).map(camel).includes(k),
          `${c.name}: unexpected state ${key}.${k}`,
        );
      }
    } else {
      checkEntry(
        opt.state.get(first),
        key,
        value,
        `${c.name} state ${key}`,
      );
    }
  }
  for (const name of c.model.params) {
    if (!(name in c.final_state) && opt.state.has(params[name])) {
      for (const v of Object.values(opt.state.get(params[name])!)) {
        assert(v === null || typeof v === "number" || c.optimizer === "LBFGS");
      }
    }
  }
}

for (const c of fixture.cases) {
  Deno.test(`optimizers.json: ${c.name}`, () => runCase(c));
}

Deno.test("optimizers.json: every case was run", () => {
  assert(fixture.cases.length > 0);
  assertEquals(
    new Set(fixture.cases.map((c) => c.name)).size,
    fixture.cases.length,
  );
});
