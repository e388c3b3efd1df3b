/**
 * The optimizer base, as torch.optim.Optimizer: parameter groups merged with
 * the defaults, per-parameter state created lazily on the first step, state
 * dicts keyed by parameter index. Subclasses own only the math (one fused
 * kernel call per parameter, see assembly/optim.ts).
 *
 * @module
 */
import { Tensor } from "../tensor.ts";
import { Storage } from "../storage.ts";
import { contiguousStrides, formatShape, sameShape } from "../shape.ts";
import { noGrad } from "../autograd/engine.ts";

/** A value in an optimizer's per-parameter state. */
export type StateValue = Tensor | number | boolean | null | StateValue[];

/** The state of one parameter: `step`, `expAvg`, `momentumBuffer`, ... */
export type ParamState = Record<string, StateValue>;

/** The hyperparameter every optimizer has. */
export interface BaseOptions {
  /** Learning rate. */
  lr: number;
}

/** A parameter group as given: its parameters and any option overrides. */
export type ParamGroupInput<O> = Partial<O> & {
  /** The parameters of this group (a Tensor or an ordered collection). */
  params: Iterable<Tensor> | Tensor;
  [key: string]: unknown;
};

/**
 * A parameter group as the optimizer keeps it: its parameters and every
 * hyperparameter, resolved. Change `lr` (or any option) between steps to
 * schedule it.
 */
export type ParamGroup<O> = O & {
  /** The parameters of this group. */
  params: Tensor[];
  /** The learning rate an LR scheduler started from. */
  initialLr?: number;
  [key: string]: unknown;
};

/** What an optimizer takes: parameters, or a list of parameter groups. */
export type Params<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** Reevaluates the model and returns the loss (for `step(closure)`). */
export type Closure = () => Tensor | number;

/** Options of `zeroGrad()`. */
export interface ZeroGradOptions {
  /** Set `.grad` to null instead of filling it with zeros (default true). */
  setToNone?: boolean;
}

/** A tensor in a state dict: its shape and flat row-major data. */
export interface SerializedTensor {
  /** The tensor's shape. */
  shape: number[];
  /** The values, flat and row-major. */
  data: number[];
}

/** A state value in a state dict (tensors as `{ shape, data }`). */
export type SerializedValue =
  | number
  | boolean
  | string
  | null
  | SerializedTensor
  | SerializedValue[];

/**
 * An optimizer's state, as `stateDict()` returns it: plain data that
 * survives `JSON.stringify`/`JSON.parse`. Parameters are numbered in group
 * order, as PyTorch numbers them.
 */
export interface OptimizerStateDict {
  /** Per-parameter state, keyed by parameter index. */
  state: Record<string, Record<string, SerializedValue>>;
  /** The groups' hyperparameters, with `params` as lists of indices. */
  paramGroups: Record<string, unknown>[];
}

/**
 * Formats a number as Python prints a float (`1.0`, `-0.1`), so messages
 * read exactly as PyTorch's.
 */
export function pyFloat(x: unknown): string {
  if (typeof x !== "number") return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Number.isNaN(x)) return "nan";
  // Python switches to exponent notation below 1e-4, JavaScript below 1e-6
  const text = x !== 0 && Math.abs(x) < 1e-4 ? x.toExponential() : String(x);
  return text.replace(/e([+-])(\d)$/, "e$10$2");
}

/** Throws PyTorch's `Invalid <what>: <value>` unless `0 <= value`. */
export function checkNonNegative(value: number, what: string): void {
  if (!(value >= 0)) throw new RangeError(`Invalid ${what}: ${pyFloat(value)}`);
}

/** Throws PyTorch's message unless both betas lie in [0, 1). */
export function checkBetas(betas: readonly number[]): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new TypeError(
      `betas must be a pair of numbers, got ${JSON.stringify(betas)}`,
    );
  }
  for (let i = 0; i < 2; i++) {
    if (!(betas[i] >= 0 && betas[i] < 1)) {
      throw new RangeError(
        `Invalid beta parameter at index ${i}: ${pyFloat(betas[i])}`,
      );
    }
  }
}

/**
 * The defaults with `options` applied; rejects options the optimizer does
 * not have (a misspelt option would otherwise be ignored silently).
 */
export function withDefaults<O extends object>(
  name: string,
  defaults: O,
  options: Partial<O> | undefined,
): O {
  const out = { ...defaults } as Record<string, unknown>;
  if (options === undefined || options === null) return out as O;
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${name} options must be an object`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (!(key in defaults)) {
      throw new TypeError(
        `${name} got an unexpected option '${key}' (it has ${
          Object.keys(defaults).join(", ")
        })`,
      );
    }
    if (value !== undefined) out[key] = copyValue(value);
  }
  return out as O;
}

function copyValue(v: unknown): unknown {
  return Array.isArray(v) ? v.map(copyValue) : v;
}

/** Pointer to `t`'s elements for a kernel that only reads them. */
export function readPtr(t: Tensor): number {
  return t._storage.acquire() + t._offset * 4;
}

/** Pointer to `t`'s elements for a kernel that writes them in place. */
export function writePtr(t: Tensor): number {
  return t._storage.acquireForWrite() + t._offset * 4;
}

/** A new contiguous tensor of `shape` filled with `value` (optimizer state). */
export function stateTensor(shape: readonly number[], value = 0): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return wrapArray(new Float32Array(n).fill(value), shape);
}

/** The state tensor `key` of a parameter, created filled with `fill` if missing. */
export function stateBuffer(
  state: ParamState,
  key: string,
  param: Tensor,
  fill = 0,
): Tensor {
  const b = state[key];
  if (b instanceof Tensor) return b;
  const t = stateTensor(param.shape, fill);
  state[key] = t;
  return t;
}

/** A tensor over `data` without copying it (the caller gives it up). */
export function wrapArray(
  data: Float32Array,
  shape: readonly number[],
): Tensor {
  return Tensor._fromStorage(
    Storage.fromHost(data),
    shape,
    contiguousStrides(shape),
    0,
  );
}

function isSerializedTensor(v: unknown): v is SerializedTensor {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Array.isArray((v as SerializedTensor).shape) &&
    Array.isArray((v as SerializedTensor).data);
}

function serialize(v: StateValue): SerializedValue {
  if (v instanceof Tensor) {
    return { shape: [...v.shape], data: Array.from(v.toFloat32Array()) };
  }
  if (Array.isArray(v)) return v.map(serialize);
  return v;
}

function deserialize(v: unknown, where: string): StateValue {
  if (v instanceof Tensor) return wrapArray(v.toFloat32Array(), v.shape);
  if (isSerializedTensor(v)) {
    let n = 1;
    for (const d of v.shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new RangeError(
          `${where}: invalid shape ${JSON.stringify(v.shape)}`,
        );
      }
      n *= d;
    }
    if (n !== v.data.length) {
      throw new RangeError(
        `${where}: shape ${
          formatShape(v.shape)
        } needs ${n} values, got ${v.data.length}`,
      );
    }
    return wrapArray(Float32Array.from(v.data), v.shape);
  }
  if (Array.isArray(v)) return v.map((x) => deserialize(x, where));
  if (
    v === null || typeof v === "number" || typeof v === "boolean"
  ) return v;
  throw new TypeError(`${where}: unsupported state value ${JSON.stringify(v)}`);
}

/**
 * Base class of all optimizers (PyTorch's `torch.optim.Optimizer`).
 *
 * It keeps the parameter groups (`paramGroups`, public and mutable between
 * steps), the lazily created per-parameter `state`, and implements
 * `zeroGrad`, `addParamGroup`, `stateDict` and `loadStateDict`. Subclasses
 * implement `update`, the math for one parameter, run by `step()` for every
 * parameter that has a gradient.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The constructor's options merged with the algorithm's defaults. */
  readonly defaults: O;
  /** The parameter groups; their options may be changed between steps. */
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  state: Map<Tensor, ParamState> = new Map();
  /** The algorithm's name, for messages. */
  protected readonly name: string;

  /**
   * Subclasses pass their name, the parameters and their resolved defaults.
   * `checkOptions` runs on the defaults and on every group before anything
   * is kept; defaults that are `undefined` are required in every group.
   */
  protected constructor(
    name: string,
    params: Params<O>,
    defaults: O,
  ) {
    this.name = name;
    this.defaults = defaults;
    this.checkOptions(defaults);
    if (params instanceof Tensor) {
      throw new TypeError(
        "params argument given to the optimizer should be an iterable of Tensors or dicts, but got Tensor",
      );
    }
    if (
      params === null || typeof params !== "object" ||
      typeof (params as Iterable<unknown>)[Symbol.iterator] !== "function"
    ) {
      throw new TypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typeof params}`,
      );
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (list.length === 0) {
      throw new RangeError("optimizer got an empty parameter list");
    }
    const inputs = list[0] instanceof Tensor
      ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>]
      : (list as ParamGroupInput<O>[]);
    const groups: ParamGroup<O>[] = [];
    for (const input of inputs) groups.push(this.resolveGroup(input, groups));
    this.paramGroups = groups;
  }

  /** Validates one set of hyperparameters (PyTorch's messages). */
  protected abstract checkOptions(options: O): void;

  /**
   * Updates one parameter in place from its gradient (contiguous, same
   * shape), with its group's options and its state.
   */
  protected abstract update(
    param: Tensor,
    grad: Tensor,
    group: ParamGroup<O>,
    state: ParamState,
  ): void;

  /**
   * Runs `closure` (if given) to reevaluate the loss, then updates every
   * parameter that has a gradient. Returns the closure's loss.
   */
  step<L extends Tensor | number>(closure?: () => L): L | undefined {
    const loss = closure === undefined ? undefined : closure();
    const work: [Tensor, Tensor, ParamGroup<O>][] = [];
    // check everything first, so that a bad gradient changes nothing
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        this.checkGrad(p, g);
        work.push([p, g.isContiguous() ? g : g.contiguous(), group]);
      }
    }
    noGrad(() => {
      for (const [p, g, group] of work) {
        this.update(p, g, group, this.stateOf(p));
      }
    });
    return loss;
  }

  /** The state of `param`, created empty on first use. */
  protected stateOf(param: Tensor): ParamState {
    let s = this.state.get(param);
    if (s === undefined) {
      s = {};
      this.state.set(param, s);
    }
    return s;
  }

  /** Throws unless `grad` can update `param`. */
  protected checkGrad(param: Tensor, grad: Tensor): void {
    if (!(grad instanceof Tensor)) {
      throw new TypeError(
        `${this.name}: a parameter's grad must be a Tensor or null, got ${typeof grad}`,
      );
    }
    if (!sameShape(grad.shape, param.shape)) {
      throw new RangeError(
        `${this.name}: a gradient of shape ${
          formatShape(grad.shape)
        } cannot update a parameter of shape ${formatShape(param.shape)}`,
      );
    }
    if (param._storage.disposed || grad._storage.disposed) {
      throw new ReferenceError("Cannot use a tensor after dispose()");
    }
  }

  /**
   * Resets the gradients of all parameters: to null (the default), or to
   * zeros with `{ setToNone: false }`.
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) {
          p.grad = null;
        } else {
          const g = p.grad;
          if (g.gradFn !== null) p.grad = g.detach();
          else if (g.requiresGrad) g.requiresGrad = false;
          noGrad(() => p.grad!.zero_());
        }
      }
    }
  }

  /**
   * Adds a parameter group (for example layers unfrozen while fine tuning);
   * options it does not give come from the defaults.
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    this.paramGroups.push(this.resolveGroup(group, this.paramGroups));
  }

  /** Validates `input` against `existing` groups and merges the defaults. */
  protected resolveGroup(
    input: ParamGroupInput<O>,
    existing: readonly ParamGroup<O>[],
  ): ParamGroup<O> {
    if (
      input === null || typeof input !== "object" || input instanceof Tensor ||
      Array.isArray(input)
    ) {
      throw new TypeError("param group must be a dict");
    }
    if (!("params" in input)) {
      throw new TypeError("param group must have a 'params' entry");
    }
    const raw = input.params;
    let params: Tensor[];
    if (raw instanceof Tensor) params = [raw];
    else if (raw instanceof Set) {
      throw new TypeError(
        "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.",
      );
    } else if (
      raw !== null && typeof raw === "object" &&
      typeof (raw as Iterable<unknown>)[Symbol.iterator] === "function"
    ) params = [...(raw as Iterable<Tensor>)];
    else {
      throw new TypeError(
        `params of a param group must be a Tensor or an iterable of Tensors, got ${typeof raw}`,
      );
    }
    for (const p of params) {
      if (!(p instanceof Tensor)) {
        throw new TypeError(
          `optimizer can only optimize Tensors, but one of the params is ${
            p === null ? "null" : typeof p
          }`,
        );
      }
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
      if (!p.isContiguous()) {
        throw new RangeError(
          "optimizer can only optimize contiguous Tensors: pass param.contiguous() made a leaf, or a fresh tensor",
        );
      }
    }
    const group = {} as Record<string, unknown>;
    for (const [key, value] of Object.entries(input)) {
      if (key !== "params" && value !== undefined) {
        group[key] = copyValue(value);
      }
    }
    for (const [key, value] of Object.entries(this.defaults)) {
      if (key in group) continue;
      if (value === undefined) {
        throw new TypeError(
          `parameter group didn't specify a value of required optimization parameter ${key}`,
        );
      }
      group[key] = copyValue(value);
    }
    this.checkOptions(group as unknown as O);
    if (new Set(params).size !== params.length) {
      throw new Error(
        "optimizer contains a parameter group with duplicate parameters",
      );
    }
    for (const other of existing) {
      for (const p of other.params) {
        if (params.includes(p)) {
          throw new Error(
            "some parameters appear in more than one parameter group",
          );
        }
      }
    }
    group.params = params;
    return group as ParamGroup<O>;
  }

  /**
   * The optimizer's state as plain data: `{ state, paramGroups }`, with
   * parameters numbered in group order (PyTorch's layout) and tensors copied
   * as `{ shape, data }`. Survives a JSON round trip.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(g)) {
        if (key !== "params") packed[key] = copyValue(value);
      }
      packed.params = g.params.map((p) => {
        let i = index.get(p);
        if (i === undefined) index.set(p, i = next++);
        return i;
      });
      return packed;
    });
    const state: Record<string, Record<string, SerializedValue>> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const out: Record<string, SerializedValue> = {};
      for (const [key, value] of Object.entries(s)) out[key] = serialize(value);
      state[String(i)] = out;
    }
    return { state, paramGroups };
  }

  /**
   * Loads a state saved by `stateDict()` (possibly through JSON) onto this
   * optimizer's parameters, matched by position. Everything is checked
   * before anything changes.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    if (
      stateDict === null || typeof stateDict !== "object" ||
      !Array.isArray(stateDict.paramGroups) ||
      typeof stateDict.state !== "object" || stateDict.state === null
    ) {
      throw new TypeError(
        "loadStateDict expects { state, paramGroups } as stateDict() returns",
      );
    }
    const groups = this.paramGroups;
    const saved = stateDict.paramGroups;
    if (groups.length !== saved.length) {
      throw new RangeError(
        "loaded state dict has a different number of parameter groups",
      );
    }
    const idMap = new Map<number, Tensor>();
    for (let i = 0; i < groups.length; i++) {
      const ids = saved[i].params;
      if (!Array.isArray(ids) || ids.length !== groups[i].params.length) {
        throw new RangeError(
          "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
        );
      }
      ids.forEach((id, j) => idMap.set(Number(id), groups[i].params[j]));
    }
    const state = new Map<Tensor, ParamState>();
    for (const [key, value] of Object.entries(stateDict.state)) {
      const p = idMap.get(Number(key));
      if (p === undefined) {
        throw new RangeError(
          `loaded state dict has state for parameter ${key}, which none of its groups lists`,
        );
      }
      const s: ParamState = {};
      for (const [k, v] of Object.entries(value)) {
        s[k] = deserialize(v, `state of parameter ${key}, '${k}'`);
      }
      this.checkLoadedState(p, s, key);
      state.set(p, s);
    }
    const newGroups = groups.map((g, i) => {
      const merged = {} as Record<string, unknown>;
      for (const [key, value] of Object.entries(this.defaults)) {
        merged[key] = copyValue(value);
      }
      for (const [key, value] of Object.entries(saved[i])) {
        if (key !== "params") merged[key] = copyValue(value);
      }
      this.checkOptions(merged as unknown as O);
      merged.params = g.params;
      return merged as ParamGroup<O>;
    });
    this.state = state;
    this.paramGroups = newGroups;
  }

  /**
   * Throws if loaded state cannot belong to `param`: by default every tensor
   * in it must have the parameter's shape (the kernels read it in place).
   */
  protected checkLoadedState(
    param: Tensor,
    state: ParamState,
    index: string,
  ): void {
    for (const [key, value] of Object.entries(state)) {
      if (value instanceof Tensor && !sameShape(value.shape, param.shape)) {
        throw new RangeError(
          `loaded state for parameter ${index}: '${key}' has shape ${
            formatShape(value.shape)
          } but the parameter has shape ${formatShape(param.shape)}`,
        );
      }
    }
  }
}
