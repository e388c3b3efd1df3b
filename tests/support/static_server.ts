/**
 * A static file server for tests: serves the repository over HTTP on
 * 127.0.0.1 with the MIME types Deno accepts for modules.
 *
 * @module
 */

const TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json",
  ".safetensors": "application/octet-stream",
};

/** A running server: its base URL and how to stop it. */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `root` (a directory URL) on a free loopback port. */
export function serveStatic(root: URL): StaticServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (path.includes("..")) return new Response("bad path", { status: 400 });
      try {
        const body = await Deno.readFile(new URL(`.${path}`, root));
        const ext = path.slice(path.lastIndexOf("."));
        return new Response(body, {
          headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}
