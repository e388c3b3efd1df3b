/**
 * Starts `deno serve` on the edge example, on a free loopback port, and
 * stops it: for the edge test and the load benchmark.
 *
 * @module
 */

/** A running server. */
export interface EdgeServer {
  url: string;
  /** Milliseconds from spawning the process to the first answer. */
  coldStartMs: number;
  close(): Promise<void>;
}

/** Spawns the server and waits for its first answer to /healthz. */
export async function startEdgeServer(): Promise<EdgeServer> {
  const server = new URL("../../examples/edge/server.ts", import.meta.url);
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--allow-read",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      server.pathname,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // "deno serve: Listening on http://127.0.0.1:PORT/" arrives on stderr
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let url = "";
  const deadline = Date.now() + 30_000;
  while (!url) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${seen}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${seen}`);
    seen += value;
    const m = seen.match(/http:\/\/127\.0\.0\.1:(\d+)/);
    if (m) url = `http://127.0.0.1:${m[1]}`;
  }
  // keep draining so the child never blocks on a full pipe
  const drainErr = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const drainOut = child.stdout.pipeTo(new WritableStream());
  const res = await fetch(`${url}/healthz`);
  await res.body?.cancel();
  const coldStartMs = performance.now() - t0;
  return {
    url,
    coldStartMs,
    async close() {
      child.kill("SIGTERM");
      await child.status;
      await Promise.allSettled([drainErr, drainOut]);
    },
  };
}

/** Sends `total` requests made by `make`, `concurrency` at a time; returns latencies (ms) and statuses. */
export async function burst(
  total: number,
  concurrency: number,
  make: (i: number) => Promise<Response>,
): Promise<{ latencies: number[]; statuses: number[]; seconds: number }> {
  const latencies: number[] = [];
  const statuses: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const s = performance.now();
      const res = await make(i);
      await res.arrayBuffer();
      latencies.push(performance.now() - s);
      statuses.push(res.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, statuses, seconds: (performance.now() - t0) / 1000 };
}
