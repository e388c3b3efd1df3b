// mod.ts and the examples imported over HTTP, as users do: no deno.json
// around them, a fresh module cache, and no permission flags.
import { assert, assertEquals } from "./_assert.ts";
import { type DenoRun, runDeno } from "./support/deno_run.ts";
import { serveStatic } from "./support/static_server.ts";

const root = new URL("../", import.meta.url);

async function runFromUrl(
  path: string,
  args: string[] = [],
): Promise<DenoRun> {
  const server = serveStatic(root);
  const denoDir = await Deno.makeTempDir();
  const cwd = await Deno.makeTempDir();
  try {
    return await runDeno(["run", ...args, `${server.url}/${path}`], {
      cwd,
      env: { DENO_DIR: denoDir },
    });
  } finally {
    await server.close();
    await Deno.remove(denoDir, { recursive: true });
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("url import: the lecture example runs from http with no permissions", async () => {
  const r = await runFromUrl("examples/linear_regression.ts");
  assertEquals(r.code, 0, r.stderr);
  const m = r.stdout.match(/y_pred = ([-\d.e]+)/);
  assert(m, r.stdout);
  assert(Math.abs(Number(m[1]) - 8) < 0.01, r.stdout);
});

Deno.test("url import: mod.ts itself imports from http", async () => {
  const r = await runFromUrl("examples/tensor_basics.ts");
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdout.includes("prediction for x = 4"), r.stdout);
});
