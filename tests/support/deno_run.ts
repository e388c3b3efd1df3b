/**
 * `deno <args>` as a child process, its output collected as text.
 *
 * @module
 */

/** What a finished `deno` child printed, and its exit code. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` in `cwd` with `env` (plus NO_COLOR) and waits for it. */
export async function runDeno(
  args: string[],
  options: { cwd: string | URL; env?: Record<string, string> },
): Promise<DenoRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: { ...options.env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}
