// Every case of the PyTorch losses fixture, built from the case itself: the
// constructor's keyword arguments (legacy flags included) are read from its
// Python form, the tensors from its inputs. Checks the resolved reduction,
// the output and the input's gradient (out.backward(G)) for the module and
// for the functional form, and the one-time deprecation warning.
import { nn, type Tensor } from "../../mod.ts";
import { resetLegacyWarnings } from "../../src/nn/_reduction.ts";
import { assert, assertClose, assertEquals } from "../_assert.ts";
import { type FixtureTensor, fromFixture, loadFixture } from "../_fixtures.ts";

interface LossCase {
  name: string;
  loss: string;
  constructor: string;
  reduction: string;
  inputs: Record<string, FixtureTensor>;
  requires_grad: string[];
  out: FixtureTensor;
  G: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  size_average?: boolean | null;
  reduce?: boolean | null;
  legacy_get_string?: string;
  reduction_arg?: string;
  label_smoothing?: number;
}

const fixture = loadFixture<{ cases: LossCase[] }>("torch/losses.json");
const RTOL = 1e-5, ATOL = 1e-5;

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/**
 * The keyword arguments of `torch.nn.X(a=1, b='mean', c=None, w=w)` as an
 * options object: Python literals become JS values, names refer to the
 * case's input tensors.
 */
function constructorOptions(c: LossCase): Record<string, unknown> {
  const m = /^torch\.nn\.(\w+)\((.*)\)$/.exec(c.constructor);
  assert(m, `unparsed constructor ${c.constructor}`);
  assertEquals(m[1], c.loss);
  const opts: Record<string, unknown> = {};
  if (m[2].trim() === "") return opts;
  for (const part of m[2].split(",")) {
    const [key, raw] = part.split("=").map((s) => s.trim());
    let value: unknown;
    if (raw === "True") value = true;
    else if (raw === "False") value = false;
    else if (raw === "None") value = null;
    else if (/^'.*'$/.test(raw)) value = raw.slice(1, -1);
    else if (/^-?\d/.test(raw)) value = Number(raw);
    else {
      assert(raw in c.inputs, `${c.name}: unknown name ${raw}`);
      value = fromFixture(c.inputs[raw]);
    }
    opts[camel(key)] = value;
  }
  return opts;
}

const modules: Record<
  string,
  new (opts: Record<string, unknown>) => nn.Module
> = {
  MSELoss: nn.MSELoss,
  L1Loss: nn.L1Loss,
  BCELoss: nn.BCELoss,
  BCEWithLogitsLoss: nn.BCEWithLogitsLoss,
  CrossEntropyLoss: nn.CrossEntropyLoss,
};

const functionals: Record<
  string,
  (i: Tensor, t: Tensor, opts: Record<string, unknown>) => Tensor
> = {
  MSELoss: nn.functional.mseLoss,
  L1Loss: nn.functional.l1Loss,
  BCELoss: nn.functional.binaryCrossEntropy,
  BCEWithLogitsLoss: nn.functional.binaryCrossEntropyWithLogits,
  CrossEntropyLoss: nn.functional.crossEntropy,
};

/** Runs `fn` with console.warn captured; returns the warnings. */
function captureWarnings(fn: () => void): string[] {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    fn();
  } finally {
    console.warn = original;
  }
  return warnings;
}

function checkCase(
  c: LossCase,
  run: (input: Tensor, target: Tensor) => Tensor,
  label: string,
): void {
  const input = fromFixture(c.inputs.input, c.requires_grad.includes("input"));
  const target = fromFixture(c.inputs.target);
  const out = run(input, target);
  assertEquals([...out.shape], c.out.shape, `${label}: output shape`);
  assertClose(out.toFloat32Array(), c.out.data, RTOL, ATOL, `${label}: out`);
  out.backward(fromFixture(c.G));
  for (const name of c.requires_grad) {
    const t = name === "input" ? input : target;
    assert(t.grad !== null, `${label}: no gradient for ${name}`);
    assertEquals([...t.grad.shape], c.grads[name].shape);
    assertClose(
      t.grad.toFloat32Array(),
      c.grads[name].data,
      RTOL,
      ATOL,
      `${label}: grad ${name}`,
    );
  }
}

Deno.test("losses fixture: the file has cases of every loss", () => {
  const losses = new Set(fixture.cases.map((c) => c.loss));
  for (const name of Object.keys(modules)) assert(losses.has(name), name);
  assert(fixture.cases.length > 0);
});

for (const c of fixture.cases) {
  Deno.test(`losses fixture: ${c.name}`, () => {
    const opts = constructorOptions(c);
    // cross-check the parsed constructor against the case's own fields
    if ("size_average" in c) {
      assertEquals(opts.sizeAverage ?? null, c.size_average);
    }
    if ("reduce" in c) assertEquals(opts.reduce ?? null, c.reduce);
    if (c.reduction_arg !== undefined) {
      assertEquals(opts.reduction, c.reduction_arg);
    }
    if (c.label_smoothing !== undefined) {
      assertEquals(opts.labelSmoothing, c.label_smoothing);
    }
    const legacy = opts.sizeAverage != null || opts.reduce != null;

    resetLegacyWarnings();
    let criterion: nn.Module & { reduction?: string } = new nn.Module();
    const warnings = captureWarnings(() => {
      criterion = new modules[c.loss](opts);
      // the warning is given once, not per construction
      new modules[c.loss](opts);
    });
    assertEquals(criterion.reduction, c.reduction, "resolved reduction");
    if (legacy) {
      assertEquals(warnings.length, 1, warnings.join("\n"));
      assert(warnings[0].includes("will be deprecated"));
      assert(
        warnings[0].includes(`reduction: "${c.legacy_get_string}"`),
        warnings[0],
      );
    } else {
      assertEquals(warnings, []);
    }

    checkCase(c, (i, t) => criterion.call(i, t), "module");
    captureWarnings(() =>
      checkCase(c, (i, t) => functionals[c.loss](i, t, opts), "functional")
    );
  });
}
