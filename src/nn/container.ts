/**
 * Containers that hold submodules under index names "0", "1", ...:
 * `ModuleList` (a list the parent's `forward` uses) and `Sequential` (runs
 * them in order). Module discovery sees their entries because they are own
 * properties, unlike a plain array of modules.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

const INDEX = /^(0|[1-9]\d*)$/;

/** The modules of a container, in index order. */
function entries<M extends Module>(owner: Module): M[] {
  const out: M[] = [];
  for (const key of Object.keys(owner)) {
    // integer keys come first in Object.keys, in ascending order
    if (!INDEX.test(key)) break;
    out.push((owner as unknown as Record<string, M>)[key]);
  }
  return out;
}

function checkModule(m: unknown, where: string): asserts m is Module {
  if (!(m instanceof Module)) {
    throw new TypeError(
      `${where}: expected a Module, got ${
        m === null
          ? "null"
          : typeof m === "object"
          ? m.constructor?.name
          : typeof m
      }`,
    );
  }
}

function normalizeIndex(index: number, length: number, where: string): number {
  if (!Number.isInteger(index) || index < -length || index >= length) {
    throw new RangeError(
      `${where}: index ${index} is out of range for ${length} modules`,
    );
  }
  return index < 0 ? index + length : index;
}

/**
 * Holds submodules in a list, registered under the names "0", "1", ... so
 * that their parameters are found (`torch.nn.ModuleList`).
 *
 * @example
 * ```ts
 * import { nn, type Tensor, zeros } from "../../mod.ts";
 * class Mlp extends nn.Module {
 *   layers = new nn.ModuleList([new nn.Linear(4, 8), new nn.Linear(8, 2)]);
 *   override forward(x: Tensor): Tensor {
 *     for (const layer of this.layers) x = layer.call(x).relu();
 *     return x;
 *   }
 * }
 * const model = new Mlp();
 * console.log(model.namedParameters()[2][0]); // "layers.1.weight"
 * console.log(model.call(zeros(3, 4)).shape); // [3, 2]
 * ```
 */
export class ModuleList<M extends Module = Module> extends Module
  implements Iterable<M> {
  /** The module at an index (use `append`/`insert` to add). */
  [index: number]: M;

  /** A list holding `modules` in order. */
  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  /** Number of modules. */
  get length(): number {
    return entries(this).length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M {
    const list = entries<M>(this);
    return list[normalizeIndex(index, list.length, "ModuleList.at")];
  }

  /** Adds `module` at the end; returns this list. */
  append(module: M): this {
    checkModule(module, "ModuleList.append");
    this[this.length] = module;
    return this;
  }

  /** Adds every module of `modules` at the end; returns this list. */
  extend(modules: Iterable<M>): this {
    const list = [...modules];
    list.forEach((m) => checkModule(m, "ModuleList.extend"));
    let n = this.length;
    for (const m of list) this[n++] = m;
    return this;
  }

  /** Inserts `module` before `index` (negative counts from the end). */
  insert(index: number, module: M): void {
    checkModule(module, "ModuleList.insert");
    const list = entries<M>(this);
    const n = list.length;
    // Python's list.insert clamps the index instead of failing
    let at = index < 0 ? Math.max(0, index + n) : Math.min(index, n);
    if (!Number.isInteger(at)) {
      throw new RangeError(
        `ModuleList.insert: index must be an integer, got ${index}`,
      );
    }
    for (let i = n; i > at; i--) this[i] = list[i - 1];
    this[at++] = module;
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return entries<M>(this)[Symbol.iterator]();
  }
}

/**
 * Runs its modules in order, each on the previous one's output
 * (`torch.nn.Sequential`).
 *
 * @example
 * ```ts
 * import { nn, zeros } from "../../mod.ts";
 * const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
 * console.log(model.call(zeros(2, 4)).shape); // [2, 1]
 * console.log(model.parameters().length); // 4
 * ```
 */
export class Sequential extends Module implements Iterable<Module> {
  /** The module at an index (use `append` to add). */
  [index: number]: Module;

  /** A sequence of `modules`, registered as "0", "1", ... */
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m) => checkModule(m, "Sequential"));
    modules.forEach((m, i) => this[i] = m);
  }

  /** Number of modules. */
  get length(): number {
    return entries(this).length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const list = entries(this);
    return list[normalizeIndex(index, list.length, "Sequential.at")];
  }

  /** Adds `module` at the end; returns this. */
  append(module: Module): this {
    checkModule(module, "Sequential.append");
    this[this.length] = module;
    return this;
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    return entries(this)[Symbol.iterator]();
  }

  /** Passes `input` through every module in order. */
  override forward(input: Tensor): Tensor {
    let x = input;
    for (const m of entries(this)) x = m.call(x);
    return x;
  }
}
