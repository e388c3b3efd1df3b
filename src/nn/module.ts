/**
 * `Module`, the base of every layer and model, with PyTorch's semantics
 * (torch/nn/modules/module.py): `call` runs forward pre-hooks, `forward`
 * and forward hooks; parameters and submodules are found by walking the
 * module's own properties in definition order, with dotted names.
 *
 * @module
 */
import { Tensor } from "../tensor.ts";
import { noGrad } from "../autograd/engine.ts";
import { formatShape, sameShape } from "../shape.ts";
import { Parameter } from "./parameter.ts";

/** The argument list of a module's `forward`. */
export type ForwardArgs<M extends Module> = Parameters<M["forward"]>;

/** The return type of a module's `forward`. */
export type ForwardOutput<M extends Module> = ReturnType<M["forward"]>;

/**
 * Runs before `forward` with its arguments; returning an array replaces
 * them (a non-array value is taken as the single argument, as PyTorch wraps
 * a non-tuple), returning nothing keeps them.
 */
export type ForwardPreHook<M extends Module = Module> = (
  module: M,
  args: ForwardArgs<M>,
) => ForwardArgs<M> | void;

/**
 * Runs after `forward` with its arguments and output; returning a value
 * replaces the output, returning nothing keeps it.
 */
export type ForwardHook<M extends Module = Module> = (
  module: M,
  args: ForwardArgs<M>,
  output: ForwardOutput<M>,
) => ForwardOutput<M> | void;

/** A state dict: names like `linear.weight` mapped to tensors, in order. */
export type StateDict = Record<string, Tensor>;

/** Options of `namedParameters()`, `parameters()` and their buffer twins. */
export interface NamedOptions {
  /** Prepended to every name (default ""). */
  prefix?: string;
  /** Include submodules' members (default true). */
  recurse?: boolean;
}

/** Options of `stateDict()`. */
export interface StateDictOptions {
  /** Prepended to every key (default ""). */
  prefix?: string;
  /** Return the parameters themselves instead of detached views (default false). */
  keepVars?: boolean;
}

/** Options of `loadStateDict()`. */
export interface LoadStateDictOptions {
  /** Require the keys to match the module's exactly (default true). */
  strict?: boolean;
}

/** What `loadStateDict()` returns: keys that did not match (when not strict). */
export interface IncompatibleKeys {
  /** Keys the module expects that the state dict lacks. */
  missingKeys: string[];
  /** Keys of the state dict the module does not have. */
  unexpectedKeys: string[];
}

/** Options of `registerBuffer()`. */
export interface BufferOptions {
  /** Whether the buffer is part of `stateDict()` (default true). */
  persistent?: boolean;
}

/** Options of `zeroGrad()`. */
export interface ZeroGradOptions {
  /** Drop the gradients (`grad = null`) instead of filling them with zeros (default true). */
  setToNone?: boolean;
}

type RawPreHook = (module: Module, args: unknown[]) => unknown;
type RawHook = (module: Module, args: unknown[], output: unknown) => unknown;

let nextHookId = 0;

/** Removes the hook it was returned for (PyTorch's `RemovableHandle`). */
export class RemovableHandle {
  /** A unique id of the hook. */
  readonly id: number;
  #registry: Map<number, unknown>;

  /** @internal Returned by `registerForwardHook` and friends. */
  constructor(registry: Map<number, unknown>) {
    this.id = nextHookId++;
    this.#registry = registry;
  }

  /** Unregisters the hook; calling it again does nothing. */
  remove(): void {
    this.#registry.delete(this.id);
  }
}

function checkMemberName(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string") {
    throw new TypeError(
      `${what} name should be a string. Got ${typeof name}`,
    );
  }
  if (name.includes(".")) {
    throw new RangeError(`${what} name can't contain "."`);
  }
  if (name === "") {
    throw new RangeError(`${what} name can't be empty string ""`);
  }
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return v.constructor?.name ?? "object";
  return typeof v;
}

/**
 * The base class of layers and models. Subclasses hold `Parameter`s and
 * submodules in properties and define `forward`; users run them with
 * `call(...)`, which is PyTorch's `__call__`.
 *
 * Parameters and submodules are discovered by walking the module's own
 * properties in definition order (plain tensors and arrays of modules are
 * not searched: use `Parameter`, `ModuleList` or `Sequential`). Buffers are
 * registered with `registerBuffer`.
 *
 * @example
 * ```ts
 * import { nn, type Tensor, tensor } from "../../mod.ts";
 * class LinearModel extends nn.Module {
 *   linear = new nn.Linear(1, 1);
 *   override forward(x: Tensor): Tensor {
 *     return this.linear.call(x);
 *   }
 * }
 * const model = new LinearModel();
 * console.log(model.namedParameters().map(([name]) => name)); // ["linear.weight", "linear.bias"]
 * console.log(model.call(tensor([[1], [2], [3]])).shape); // [3, 1]
 * ```
 */
export class Module {
  /** Whether the module is in training mode (set by `train()` / `eval()`). */
  training = true;
  #preHooks = new Map<number, RawPreHook>();
  #hooks = new Map<number, RawHook>();
  /** buffer name -> persistent */
  #buffers = new Map<string, boolean>();

  /**
   * The computation, defined by every subclass. Run it through `call(...)`
   * so that hooks apply.
   */
  // deno-lint-ignore no-explicit-any
  forward(..._args: any[]): any {
    throw new Error(
      `Module [${this.constructor.name}] is missing the required "forward" function`,
    );
  }

  /**
   * Runs the module, as PyTorch's `module(...)`: forward pre-hooks (which may
   * replace the arguments), then `forward(...args)`, then forward hooks
   * (which may replace the output). Arguments, including a trailing options
   * object, are passed through as given.
   */
  call(...args: ForwardArgs<this>): ForwardOutput<this> {
    if (this.#preHooks.size === 0 && this.#hooks.size === 0) {
      return this.forward(...args);
    }
    let a: unknown[] = args;
    // a snapshot, so hooks that add or remove hooks affect the next call only
    for (const hook of [...this.#preHooks.values()]) {
      const result = hook(this, a);
      if (result !== undefined) a = Array.isArray(result) ? result : [result];
    }
    let out = this.forward(...a);
    for (const hook of [...this.#hooks.values()]) {
      const result = hook(this, a, out);
      if (result !== undefined) out = result;
    }
    return out;
  }

  /** Registers a hook run before every `forward`; it may replace the arguments. */
  registerForwardPreHook(hook: ForwardPreHook<this>): RemovableHandle {
    if (typeof hook !== "function") {
      throw new TypeError(
        `forward pre-hook must be a function, got ${typeName(hook)}`,
      );
    }
    const handle = new RemovableHandle(this.#preHooks);
    this.#preHooks.set(handle.id, hook as unknown as RawPreHook);
    return handle;
  }

  /** Registers a hook run after every `forward`; it may replace the output. */
  registerForwardHook(hook: ForwardHook<this>): RemovableHandle {
    if (typeof hook !== "function") {
      throw new TypeError(
        `forward hook must be a function, got ${typeName(hook)}`,
      );
    }
    const handle = new RemovableHandle(this.#hooks);
    this.#hooks.set(handle.id, hook as unknown as RawHook);
    return handle;
  }

  // ---- registration ----

  /**
   * Registers a tensor that is state but not a parameter (like running
   * statistics): it is set as property `name`, listed by `buffers()`, and
   * saved by `stateDict()` unless `persistent` is false. Returns `tensor`.
   */
  registerBuffer<T extends Tensor | null>(
    name: string,
    tensor: T,
    options: BufferOptions = {},
  ): T {
    checkMemberName(name, "buffer");
    if (!this.#buffers.has(name) && this.#isTaken(name)) {
      throw new RangeError(`attribute '${name}' already exists`);
    }
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(
        `cannot assign '${
          typeName(tensor)
        }' object to buffer '${name}' (Tensor or null required)`,
      );
    }
    this.#buffers.set(name, options.persistent ?? true);
    (this as Record<string, unknown>)[name] = tensor;
    return tensor;
  }

  /** Sets property `name` to a parameter (or null), with PyTorch's checks. */
  registerParameter(name: string, param: Parameter | null): void {
    checkMemberName(name, "parameter");
    const current = (this as Record<string, unknown>)[name];
    if (!(current instanceof Parameter) && this.#isTaken(name)) {
      throw new RangeError(`attribute '${name}' already exists`);
    }
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(
        `cannot assign '${
          typeName(param)
        }' object to parameter '${name}' (nn.Parameter or null required)`,
      );
    }
    (this as Record<string, unknown>)[name] = param;
  }

  /** Sets property `name` to a submodule (or null), with PyTorch's checks. */
  addModule(name: string, module: Module | null): void {
    checkMemberName(name, "module");
    const current = (this as Record<string, unknown>)[name];
    if (!(current instanceof Module) && this.#isTaken(name)) {
      throw new RangeError(`attribute '${name}' already exists`);
    }
    if (module !== null && !(module instanceof Module)) {
      throw new TypeError(`${typeName(module)} is not a Module subclass`);
    }
    (this as Record<string, unknown>)[name] = module;
  }

  /** Whether `name` is a method or a property holding something (null is an empty slot). */
  #isTaken(name: string): boolean {
    return name in this && (this as Record<string, unknown>)[name] != null;
  }

  // ---- discovery ----

  /** This module's own parameters, in property order. */
  #ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const key of Object.keys(this)) {
      const value = (this as Record<string, unknown>)[key];
      if (value instanceof Parameter && !this.#buffers.has(key)) {
        out.push([key, value]);
      }
    }
    return out;
  }

  /** This module's own buffers, in registration order. */
  #ownBuffers(persistentOnly: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, persistent] of this.#buffers) {
      const value = (this as Record<string, unknown>)[name];
      if (value instanceof Tensor && (persistent || !persistentOnly)) {
        out.push([name, value]);
      }
    }
    return out;
  }

  /** `[name, module]` for each direct submodule, in property order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const key of Object.keys(this)) {
      const value = (this as Record<string, unknown>)[key];
      if (value instanceof Module) out.push([key, value]);
    }
    return out;
  }

  /** The direct submodules, in property order. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * `[name, module]` for this module (named `prefix`, default "") and every
   * submodule, depth first, with dotted names; each module once.
   */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [key, child] of m.namedChildren()) {
        visit(child, name === "" ? key : `${name}.${key}`);
      }
    };
    visit(this, prefix);
    return out;
  }

  /** This module and every submodule, depth first, each once. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * `[name, parameter]` pairs with dotted names like `linear.weight`, as
   * PyTorch orders them: this module's own parameters in property order,
   * then each submodule's, depth first. A parameter held in several places
   * is listed once.
   */
  namedParameters(options: NamedOptions = {}): [string, Parameter][] {
    const prefix = options.prefix ?? "";
    const mods: [string, Module][] = (options.recurse ?? true)
      ? this.namedModules(prefix)
      : [[prefix, this]];
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [modName, m] of mods) {
      for (const [key, p] of m.#ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([modName === "" ? key : `${modName}.${key}`, p]);
      }
    }
    return out;
  }

  /** Every parameter (see `namedParameters`), for an optimizer. */
  parameters(options: NamedOptions = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  /** `[name, buffer]` pairs with dotted names, depth first, each once. */
  namedBuffers(options: NamedOptions = {}): [string, Tensor][] {
    const prefix = options.prefix ?? "";
    const mods: [string, Module][] = (options.recurse ?? true)
      ? this.namedModules(prefix)
      : [[prefix, this]];
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [modName, m] of mods) {
      for (const [key, b] of m.#ownBuffers(false)) {
        if (seen.has(b)) continue;
        seen.add(b);
        out.push([modName === "" ? key : `${modName}.${key}`, b]);
      }
    }
    return out;
  }

  /** Every buffer (see `namedBuffers`). */
  buffers(options: NamedOptions = {}): Tensor[] {
    return this.namedBuffers(options).map(([, b]) => b);
  }

  /** Calls `fn` on every submodule (children first) and then on this one. */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and gradients ----

  /** Sets training mode (`mode` true) or evaluation mode on this module and every submodule. */
  train(mode = true): this {
    if (typeof mode !== "boolean") {
      throw new TypeError("training mode is expected to be boolean");
    }
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Resets the gradients of all parameters: to null by default, else to zeros. */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (setToNone) p.grad = null;
      else if (p.grad.isContiguous()) noGrad(() => p.grad!.zero_());
      else p.grad = noGrad(() => p.grad!.mul(0));
    }
  }

  // ---- state dict ----

  /** Visits every (key, tensor, owner, member) that `stateDict` holds, in order. */
  #stateEntries(
    prefix: string,
    visit: (key: string, t: Tensor, owner: Module, member: string) => void,
    ancestors: Set<Module> = new Set(),
  ): void {
    ancestors.add(this);
    for (const [name, p] of this.#ownParameters()) {
      visit(prefix + name, p, this, name);
    }
    for (const [name, b] of this.#ownBuffers(true)) {
      visit(prefix + name, b, this, name);
    }
    for (const [name, child] of this.namedChildren()) {
      // a shared submodule appears under each name, as in PyTorch; a cycle does not recurse
      if (!ancestors.has(child)) {
        child.#stateEntries(`${prefix}${name}.`, visit, ancestors);
      }
    }
    ancestors.delete(this);
  }

  /**
   * The module's state, name -> tensor in definition order: parameters and
   * persistent buffers, depth first. The tensors share storage with the
   * module's (detached unless `keepVars`), so clone them to keep a snapshot.
   */
  stateDict(options: StateDictOptions = {}): StateDict {
    const out: StateDict = {};
    const keepVars = options.keepVars ?? false;
    this.#stateEntries(options.prefix ?? "", (key, t) => {
      out[key] = keepVars ? t : t.detach();
    });
    return out;
  }

  /**
   * Copies `stateDict`'s tensors into the module's parameters and buffers.
   * Every missing key, unexpected key and shape mismatch is reported in one
   * error (missing and unexpected keys only when `strict`), thrown before
   * anything is copied.
   */
  loadStateDict(
    stateDict: StateDict | Map<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): IncompatibleKeys {
    if (
      stateDict === null || typeof stateDict !== "object" ||
      Array.isArray(stateDict)
    ) {
      throw new TypeError(
        `Expected state_dict to be dict-like, got ${typeName(stateDict)}.`,
      );
    }
    const strict = options.strict ?? true;
    const given: Map<string, unknown> = stateDict instanceof Map
      ? stateDict
      : new Map(Object.entries(stateDict));
    const expected = new Set<string>();
    const missingKeys: string[] = [];
    const errors: string[] = [];
    const copies: [Tensor, Tensor, Module, string][] = [];
    this.#stateEntries("", (key, target, owner, member) => {
      expected.add(key);
      if (!given.has(key)) {
        missingKeys.push(key);
        return;
      }
      const value = given.get(key);
      if (!(value instanceof Tensor)) {
        errors.push(
          `While copying the parameter named "${key}", expected Tensor from checkpoint but received ${
            typeName(value)
          }`,
        );
      } else if (!sameShape(value.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape ${
            formatShape(value.shape)
          } from checkpoint, the shape in current model is ${
            formatShape(target.shape)
          }.`,
        );
      } else {
        copies.push([target, value, owner, member]);
      }
    });
    const unexpectedKeys = [...given.keys()].filter((k) => !expected.has(k));
    if (strict) {
      if (unexpectedKeys.length > 0) {
        errors.unshift(
          `Unexpected key(s) in state_dict: ${
            unexpectedKeys.map((k) => `"${k}"`).join(", ")
          }. `,
        );
      }
      if (missingKeys.length > 0) {
        errors.unshift(
          `Missing key(s) in state_dict: ${
            missingKeys.map((k) => `"${k}"`).join(", ")
          }. `,
        );
      }
    }
    if (errors.length > 0) {
      throw new Error(
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${
          errors.join("\n\t")
        }`,
      );
    }
    noGrad(() => {
      for (const [target, value, owner, member] of copies) {
        if (target.isContiguous()) target.copy_(value);
        // a non-contiguous buffer cannot be written in place: replace it
        else {(owner as unknown as Record<string, unknown>)[member] = value
            .contiguous().clone();}
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ----

  /** Extra text inside the parentheses of `toString()`, like `in_features=1`. */
  extraRepr(): string {
    return "";
  }

  /** Prints like PyTorch's module repr, nesting submodules by name. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra === "" ? [] : extra.split("\n");
    const childLines = this.namedChildren().map(([key, m]) =>
      `(${key}): ${m.toString().split("\n").join("\n  ")}`
    );
    const lines = [...extraLines, ...childLines];
    let s = `${this.constructor.name}(`;
    if (lines.length > 0) {
      if (extraLines.length === 1 && childLines.length === 0) {
        s += extraLines[0];
      } else s += `\n  ${lines.join("\n  ")}\n`;
    }
    return `${s})`;
  }

  /** `console.log(model)` prints the repr. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
