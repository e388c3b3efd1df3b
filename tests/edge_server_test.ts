// The edge example under `deno serve`: answers match the same model run
// in-process, every bad request gets a 4xx JSON error, and a burst of
// concurrent requests all succeed.
import { loadSafetensors, noGrad, tensor } from "../mod.ts";
import {
  INPUT_FEATURES,
  OUTPUT_FEATURES,
  Regressor,
} from "../examples/edge/model.ts";
import { MAX_BODY_BYTES, MAX_ROWS } from "../examples/edge/server.ts";
import { assert, assertClose, assertEquals } from "./_assert.ts";
import { burst, startEdgeServer } from "./support/edge_server.ts";

const post = (url: string, body: string, headers: HeadersInit = {}) =>
  fetch(`${url}/predict`, { method: "POST", body, headers });

Deno.test("edge server: predictions, model info, bad requests, burst", async () => {
  const server = await startEdgeServer();
  try {
    const { url } = server;
    // the same model, in-process
    const model = new Regressor();
    model.loadStateDict(
      loadSafetensors(
        await Deno.readFile(
          new URL("../examples/edge/model.safetensors", import.meta.url),
        ),
      ),
    );
    const inputs = [[0.5, 1, -1], [0, 0, 0], [-1.5, 2, 0.25]];
    const expected = noGrad(() => model.call(tensor(inputs))).toFloat32Array();
    const res = await post(url, JSON.stringify({ inputs }));
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "application/json");
    const { outputs } = await res.json();
    assertEquals(outputs.length, inputs.length);
    assertClose(outputs.flat(), expected, 0, 0, "outputs");

    const info = await (await fetch(`${url}/model`)).json();
    assertEquals(info.inputFeatures, INPUT_FEATURES);
    assertEquals(info.outputFeatures, OUTPUT_FEATURES);
    assertEquals(await (await fetch(`${url}/healthz`)).json(), {
      status: "ok",
    });

    const bad: [string, () => Promise<Response>, number[]][] = [
      ["GET /predict", () => fetch(`${url}/predict`), [405]],
      ["DELETE /model", () => fetch(`${url}/model`, { method: "DELETE" }), [
        405,
      ]],
      ["unknown path", () => fetch(`${url}/nope`), [404]],
      ["bad JSON", () => post(url, "{inputs: [1,"), [400]],
      ["not an object", () => post(url, "[1, 2, 3]"), [400]],
      ["no inputs", () => post(url, "{}"), [400]],
      ["inputs not an array", () => post(url, '{"inputs": 3}'), [400]],
      ["empty rows", () => post(url, '{"inputs": []}'), [400, 422]],
      ["row too short", () => post(url, '{"inputs": [[1, 2]]}'), [400, 422]],
      ["row not an array", () => post(url, '{"inputs": [5]}'), [400, 422]],
      ["non-numeric", () => post(url, '{"inputs": [[1, "x", 3]]}'), [400, 422]],
      ["null value", () => post(url, '{"inputs": [[1, null, 3]]}'), [400, 422]],
      ["non-finite", () => post(url, '{"inputs": [[1, 1e999, 3]]}'), [
        400,
        422,
      ]],
      ["too many rows", () =>
        post(
          url,
          JSON.stringify({
            inputs: Array.from({ length: MAX_ROWS + 1 }, () => [0, 0, 0]),
          }),
        ), [413]],
      [
        "body too large",
        () =>
          post(
            url,
            JSON.stringify({
              inputs: [[0, 0, 0]],
              pad: "x".repeat(MAX_BODY_BYTES),
            }),
          ),
        [413],
      ],
      [
        "invalid UTF-8",
        () =>
          fetch(`${url}/predict`, {
            method: "POST",
            body: new Uint8Array([0xff, 0xfe, 0x7b]),
          }),
        [400],
      ],
    ];
    for (const [name, send, statuses] of bad) {
      const r = await send();
      const body = await r.json();
      assert(statuses.includes(r.status), `${name}: status ${r.status}`);
      assert(typeof body.error === "string" && body.error.length > 0, name);
    }
    // still healthy after all that
    assertEquals((await fetch(`${url}/healthz`)).status, 200);

    const row = JSON.stringify({ inputs: inputs });
    const result = await burst(2000, 50, () => post(url, row));
    assertEquals(result.statuses.filter((s) => s !== 200).length, 0);
    assertEquals(result.latencies.length, 2000);
  } finally {
    await server.close();
  }
});
