/**
 * Loading the PyTorch reference fixtures (kept beside the repository, in
 * ../shared/fixtures) and turning their tensors into kindling tensors.
 *
 * @module
 */
import { type Tensor, tensor } from "../mod.ts";

/** A fixture tensor: flat row-major data and a shape. */
export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: string;
}

/** URL of a file under the shared fixtures folder. */
export function fixtureUrl(path: string): URL {
  return new URL(`../../shared/fixtures/${path}`, import.meta.url);
}

/** Parses a fixture JSON file. */
export function loadFixture<T = unknown>(path: string): T {
  return JSON.parse(Deno.readTextFileSync(fixtureUrl(path))) as T;
}

/** A kindling tensor from a fixture tensor. */
export function fromFixture(t: FixtureTensor, requiresGrad = false): Tensor {
  return tensor(new Float32Array(t.data), { shape: t.shape, requiresGrad });
}
