/**
 * Reading the PyTorch fixtures for the optim tests: tensors, Python keyword
 * arguments mapped to camelCase options, and optimizers built from a case.
 *
 * @module
 */
import { optim, type Tensor, tensor } from "../../mod.ts";

/** A fixture tensor: flat row-major data and a shape. */
export interface FixtureTensor {
  shape: number[];
  data: number[];
}

/** Parses a file under the shared fixtures folder (beside the repository). */
export function loadFixture<T>(path: string): T {
  const url = new URL(`../../../shared/fixtures/${path}`, import.meta.url);
  return JSON.parse(Deno.readTextFileSync(url)) as T;
}

/** A tensor from a fixture tensor. */
export function fromFixture(t: FixtureTensor, requiresGrad = false): Tensor {
  return tensor(new Float32Array(t.data), { shape: t.shape, requiresGrad });
}

/** Python's snake_case name in camelCase: `weight_decay` -> `weightDecay`. */
export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * PyTorch's switches that choose an implementation (multi-tensor, CUDA
 * graphs, fused kernels, differentiable steps), not the numbers: kindling
 * has one implementation, so they have no counterpart.
 */
const IMPLEMENTATION_SWITCHES = new Set([
  "foreach",
  "capturable",
  "differentiable",
  "fused",
]);

/** A Python dict of hyperparameters as camelCase options (no `params`). */
export function hyperparameters(
  dict: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(dict)) {
    if (key === "params" || IMPLEMENTATION_SWITCHES.has(key)) continue;
    out[camel(key)] = value;
  }
  return out;
}

type AnyCtor = new (params: unknown, options?: unknown) => optim.Optimizer;

/**
 * The optimizer a case describes. One group over all the model's parameters
 * becomes `new X(params, kwargs)`; otherwise each group passes the
 * hyperparameters in which it differs from the defaults.
 */
export function makeOptimizer(
  name: string,
  groups: (Record<string, unknown> & { params: string[] })[],
  defaults: Record<string, unknown>,
  kwargs: Record<string, unknown>,
  params: Record<string, Tensor>,
): optim.Optimizer {
  const Ctor = (optim as unknown as Record<string, AnyCtor>)[name];
  if (typeof Ctor !== "function") throw new Error(`no optimizer ${name}`);
  const names = Object.keys(params);
  const options = hyperparameters(kwargs);
  if (
    groups.length === 1 &&
    JSON.stringify(groups[0].params) === JSON.stringify(names)
  ) {
    return new Ctor(names.map((n) => params[n]), options);
  }
  const base = hyperparameters(defaults);
  return new Ctor(
    groups.map((g) => {
      const group: Record<string, unknown> = {
        params: g.params.map((n) => params[n]),
      };
      for (const [key, value] of Object.entries(hyperparameters(g))) {
        if (JSON.stringify(value) !== JSON.stringify(base[key])) {
          group[key] = value;
        }
      }
      return group;
    }),
    options,
  );
}

/** MSE loss with the given reduction, from tensor ops. */
export function mse(
  pred: Tensor,
  target: Tensor,
  reduction: "mean" | "sum",
): Tensor {
  const sq = pred.sub(target).pow(2);
  return reduction === "sum" ? sq.sum() : sq.mean();
}

/** The k-th slice along the first dim of a fixture tensor, flat. */
export function stepSlice(t: FixtureTensor, k: number): number[] {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return t.data.slice(k * size, (k + 1) * size);
}
