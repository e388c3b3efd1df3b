/**
 * Load on the edge example under `deno serve`: cold start (process start to
 * first answer), then 2,000 POST /predict requests, 50 at a time, reporting
 * requests per second and latency percentiles.
 *
 *   deno run -A bench/edge_load.ts [total] [concurrency]
 *
 * @module
 */
import { burst, startEdgeServer } from "../tests/support/edge_server.ts";

const total = Number(Deno.args[0] ?? 2000);
const concurrency = Number(Deno.args[1] ?? 50);
const server = await startEdgeServer();
try {
  const body = JSON.stringify({
    inputs: [[0.5, 1, -1], [0, 0, 0], [1, -1, 2]],
  });
  // warm up
  await burst(
    200,
    concurrency,
    () => fetch(`${server.url}/predict`, { method: "POST", body }),
  );
  const r = await burst(
    total,
    concurrency,
    () => fetch(`${server.url}/predict`, { method: "POST", body }),
  );
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const failures = r.statuses.filter((s) => s !== 200).length;
  console.log(
    `cold start: ${server.coldStartMs.toFixed(0)} ms (spawn to first answer)`,
  );
  console.log(
    `${total} requests, ${concurrency} concurrent: ${
      (total / r.seconds).toFixed(0)
    } req/s, ` +
      `p50 ${pct(0.5).toFixed(2)} ms, p99 ${
        pct(0.99).toFixed(2)
      } ms, failures ${failures}`,
  );
} finally {
  await server.close();
}
