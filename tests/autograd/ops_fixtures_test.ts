// Every case of the PyTorch ops fixture: the expression PyTorch ran, with the
// case's own inputs; forward outputs (and indices) and the gradients of
// out.backward(G), within the fixture README's tolerances.
import { Tensor } from "../../mod.ts";
import { assertClose, assertEquals } from "../_assert.ts";
import { evaluate, torch } from "../_pyexpr.ts";
import { type FixtureTensor, fromFixture, loadFixture } from "../_fixtures.ts";

interface OpCase {
  name: string;
  expr: string;
  inputs: Record<string, FixtureTensor>;
  requires_grad: string[];
  out: FixtureTensor;
  extra_outputs?: Record<string, FixtureTensor>;
  G: FixtureTensor;
  grads?: Record<string, FixtureTensor>;
}

const fixture = loadFixture<{ count: number; cases: OpCase[] }>(
  "torch/ops.json",
);
const RTOL = 1e-5, ATOL = 1e-5;

Deno.test("ops fixture: the file holds every case it counts", () => {
  assertEquals(fixture.cases.length, fixture.count);
});

for (const c of fixture.cases) {
  Deno.test(`ops fixture: ${c.name}`, () => {
    const vars: Record<string, unknown> = { torch };
    for (const [name, t] of Object.entries(c.inputs)) {
      vars[name] = fromFixture(t, c.requires_grad.includes(name));
    }
    let out = evaluate(c.expr, vars);
    if (!(out instanceof Tensor)) {
      for (const [key, expected] of Object.entries(c.extra_outputs ?? {})) {
        const got = out[key] as Tensor;
        assertEquals(got.shape, expected.shape, `${key} shape`);
        assertEquals([...got.toFloat32Array()], expected.data, `${key}`);
      }
      out = out.values;
    }
    assertEquals(out.shape, c.out.shape, "out shape");
    assertClose(out.toFloat32Array(), c.out.data, RTOL, ATOL, "out");
    if (!c.grads || Object.keys(c.grads).length === 0) return;
    out.backward(fromFixture(c.G));
    for (const [name, expected] of Object.entries(c.grads)) {
      const grad = (vars[name] as Tensor).grad;
      if (grad === null) throw new Error(`no gradient reached ${name}`);
      assertEquals(grad.shape, expected.shape, `grad ${name} shape`);
      assertClose(
        grad.toFloat32Array(),
        expected.data,
        RTOL,
        ATOL,
        `grad ${name}`,
      );
    }
  });
}
