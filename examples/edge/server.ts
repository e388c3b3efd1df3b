/**
 * Edge-function inference: a `deno serve` handler that loads the model's
 * weights once (model.safetensors beside this file) and answers
 *
 * - `POST /predict` `{ "inputs": [[...], ...] }` -> `{ "outputs": [[...], ...] }`
 * - `GET /model` -> `{ "inputFeatures", "outputFeatures", ... }`
 * - `GET /healthz` -> `{ "status": "ok" }`
 *
 * Bad requests get a 4xx with a JSON `{ "error" }`; nothing a client sends
 * can crash the worker.
 *
 *   deno serve --allow-read examples/edge/server.ts
 *
 * @module
 */
import { loadSafetensors, noGrad, tensor } from "./_deps.ts";
import { INPUT_FEATURES, OUTPUT_FEATURES, Regressor } from "./model.ts";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1 << 20;
/** Most rows one request may ask for. */
export const MAX_ROWS = 4096;

const weights = await Deno.readFile(
  new URL("./model.safetensors", import.meta.url),
);
const model = new Regressor();
model.loadStateDict(loadSafetensors(weights));
model.eval();
const parameterCount = model.parameters().reduce((n, p) => n + p.numel(), 0);

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function json(
  body: unknown,
  status = 200,
  headers: HeadersInit = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function readBody(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
  }
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, "body is not valid UTF-8");
  }
}

/** Validates `{ inputs }` and returns the rows as one flat Float32Array. */
function parseInputs(body: unknown): { rows: number; data: Float32Array } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(
      400,
      'expected a JSON object { "inputs": [[...], ...] }',
    );
  }
  const inputs = (body as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs)) {
    throw new HttpError(400, '"inputs" must be an array of rows');
  }
  if (inputs.length === 0) throw new HttpError(422, '"inputs" has no rows');
  if (inputs.length > MAX_ROWS) {
    throw new HttpError(
      413,
      `at most ${MAX_ROWS} rows per request, got ${inputs.length}`,
    );
  }
  const data = new Float32Array(inputs.length * INPUT_FEATURES);
  inputs.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== INPUT_FEATURES) {
      throw new HttpError(
        422,
        `row ${i} must be an array of ${INPUT_FEATURES} numbers, got ${
          Array.isArray(row) ? `${row.length} values` : typeof row
        }`,
      );
    }
    row.forEach((v, j) => {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new HttpError(422, `inputs[${i}][${j}] must be a finite number`);
      }
      data[i * INPUT_FEATURES + j] = v;
    });
  });
  return { rows: inputs.length, data };
}

async function predict(req: Request): Promise<Response> {
  const text = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  const { rows, data } = parseInputs(body);
  const outputs = noGrad(() => {
    using x = tensor(data, { shape: [rows, INPUT_FEATURES] });
    using y = model.call(x);
    return y.toArray();
  });
  return json({ outputs });
}

const routes: Record<
  string,
  Record<string, (req: Request) => Promise<Response> | Response>
> = {
  "/predict": { POST: predict },
  "/model": {
    GET: () =>
      json({
        inputFeatures: INPUT_FEATURES,
        outputFeatures: OUTPUT_FEATURES,
        parameters: parameterCount,
        architecture: model.toString(),
      }),
  },
  "/healthz": { GET: () => json({ status: "ok" }) },
};

/** The request handler (`deno serve` calls it). */
export async function handle(req: Request): Promise<Response> {
  const route = routes[new URL(req.url).pathname];
  if (!route) return json({ error: "not found" }, 404);
  const handler = route[req.method];
  if (!handler) {
    const allow = Object.keys(route).join(", ");
    return json(
      { error: `method ${req.method} not allowed; use ${allow}` },
      405,
      {
        allow,
      },
    );
  }
  try {
    return await handler(req);
  } catch (e) {
    if (e instanceof HttpError) return json({ error: e.message }, e.status);
    return json({ error: "internal error" }, 500);
  }
}

export default { fetch: handle } satisfies Deno.ServeDefaultExport;
