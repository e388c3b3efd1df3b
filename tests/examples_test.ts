// Every example runs, with few steps, as a user would start it.
import { assert, assertEquals } from "./_assert.ts";
import { type DenoRun, runDeno } from "./support/deno_run.ts";
import { parseXml, type XmlElement } from "./support/xml.ts";

const root = new URL("../", import.meta.url);

function run(args: string[]): Promise<DenoRun> {
  return runDeno(args, { cwd: root });
}

function count(el: XmlElement, name: string): number {
  return (el.name === name ? 1 : 0) +
    el.children.reduce((n, c) => n + count(c, name), 0);
}

Deno.test("examples: linear_regression learns y = 2x", async () => {
  const r = await run(["run", "examples/linear_regression.ts", "1000"]);
  assertEquals(r.code, 0, r.stderr);
  const pred = Number(r.stdout.match(/y_pred = ([-\d.e]+)/)?.[1]);
  assert(Math.abs(pred - 8) < 0.01, r.stdout);
  assert(
    /epoch 0 loss/.test(r.stdout),
    "plain progress lines when not a terminal",
  );
  assert(r.stderr.includes("sizeAverage and reduce args will be deprecated"));
});

Deno.test("examples: tensor_basics runs", async () => {
  const r = await run(["run", "examples/tensor_basics.ts"]);
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdout.includes("tensor([[11., 22., 33.],"), r.stdout);
});

Deno.test("examples: optimizers trains with all nine and writes a chart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const svg = `${dir}/optimizers.svg`;
    const r = await run([
      "run",
      `--allow-write=${dir}`,
      "examples/optimizers.ts",
      "20",
      svg,
    ]);
    assertEquals(r.code, 0, r.stderr);
    for (
      const name of [
        "SGD",
        "Adagrad",
        "Adam",
        "Adamax",
        "ASGD",
        "LBFGS",
        "RMSprop",
        "Rprop",
        "AdamW",
      ]
    ) {
      assert(
        new RegExp(`^  ${name} +\\d`, "m").test(r.stdout),
        `${name} in ${r.stdout}`,
      );
    }
    const doc = parseXml(await Deno.readTextFile(svg));
    assertEquals(doc.name, "svg");
    assertEquals(count(doc, "polyline"), 9);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples: overfitting writes train and test curves", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const svg = `${dir}/overfitting.svg`;
    const r = await run([
      "run",
      `--allow-write=${dir}`,
      "examples/overfitting.ts",
      "50",
      svg,
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(/train loss .* test loss/.test(r.stdout), r.stdout);
    const doc = parseXml(await Deno.readTextFile(svg));
    assertEquals(count(doc, "polyline"), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples: edge/train writes weights the server can load", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // train a copy in a temporary folder so the shipped weights stay as they are
    for (const f of ["model.ts", "train.ts", "_deps.ts"]) {
      const text =
        (await Deno.readTextFile(new URL(`examples/edge/${f}`, root)))
          .replaceAll(
            '"../../mod.ts"',
            JSON.stringify(new URL("mod.ts", root).href),
          );
      await Deno.writeTextFile(`${dir}/${f}`, text);
    }
    const r = await run([
      "run",
      `--allow-write=${dir}`,
      `${dir}/train.ts`,
      "50",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("wrote model.safetensors"), r.stdout);
    const bytes = await Deno.readFile(`${dir}/model.safetensors`);
    assert(bytes.length > 8);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
