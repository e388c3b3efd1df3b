/**
 * The Tensor: float32 data in a `Storage`, seen through a shape, strides and
 * an offset (views share storage), plus autograd state. Ops are methods that
 * call the rules in autograd/functions.ts.
 *
 * @module
 */
import { Storage } from "./storage.ts";
import {
  checkShape,
  contiguousStrides,
  copyShape,
  formatShape,
  isContiguous,
  normalizeDim,
  sameShape,
  shapeSize,
} from "./shape.ts";
import { isGradEnabled, type Node, runBackward } from "./autograd/engine.ts";
import * as F from "./autograd/functions.ts";
import { formatTensor } from "./format.ts";

/** Nested arrays of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

/** Options of `backward()`. */
export interface BackwardOptions {
  /** Keep the graph's saved tensors so that backward can run again. */
  retainGraph?: boolean;
}

/** Options of reductions over dims. */
export interface ReduceOptions {
  /** Keep reduced dims as size 1 (default false). */
  keepdim?: boolean;
}

/** Values and their indices, as `max(dim)` / `min(dim)` return them. */
export interface ValuesIndices {
  /** The selected values. */
  values: Tensor;
  /** Their indices along the reduced dim (float32 holding integers). */
  indices: Tensor;
}

/** A scalar or a tensor operand. */
export type Operand = Tensor | number;

/**
 * An n-dimensional array of float32 values that can record the operations
 * applied to it, for automatic differentiation.
 *
 * @example
 * ```ts
 * import { tensor } from "../mod.ts";
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.mul(x).sum();
 * y.backward();
 * console.log(x.grad?.toArray()); // [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  /** @internal */ _storage: Storage;
  /** @internal */ _strides: number[];
  /** @internal */ _offset: number;
  readonly #shape: number[];
  #requiresGrad = false;
  /** The gradient, accumulated by `backward()`; null until one reaches it. */
  grad: Tensor | null = null;
  /** @internal */ _gradFn: Node | null = null;
  /** @internal */ _retainsGrad = false;
  /** @internal Mark of the last backward pass that visited this tensor. */
  _pass = 0;
  /** @internal Gradient pending during a backward pass. */
  _pending: Tensor | null = null;

  /** @internal Use `tensor()`, `zeros()` and friends instead. */
  constructor(
    storage: Storage,
    shape: number[],
    strides: number[],
    offset: number,
  ) {
    this._storage = storage;
    this.#shape = shape;
    this._strides = strides;
    this._offset = offset;
  }

  /** @internal */
  static _fromStorage(
    storage: Storage,
    shape: readonly number[],
    strides: readonly number[],
    offset: number,
  ): Tensor {
    return new Tensor(storage, shape as number[], strides as number[], offset);
  }

  /** The size of each dimension. */
  get shape(): readonly number[] {
    return this.#shape;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.#shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return shapeSize(this.#shape);
  }

  /** The size of dimension `dim`, or the whole shape. */
  size(): readonly number[];
  /** The size of dimension `dim` (negative counts from the end). */
  size(dim: number): number;
  size(dim?: number): number | readonly number[] {
    if (dim === undefined) return this.#shape;
    return this.#shape[normalizeDim(dim, this.ndim)];
  }

  /** Strides in elements, as PyTorch's `stride()`. */
  stride(): readonly number[] {
    return this._strides;
  }

  /** Whether the elements are laid out contiguously in row-major order. */
  isContiguous(): boolean {
    return isContiguous(this.#shape, this._strides);
  }

  // ---- autograd state ----

  /** Whether ops on this tensor are recorded for backward. */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (!value && this._gradFn !== null) {
      throw new Error(
        "you can only change requiresGrad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use detach().",
      );
    }
    this.#requiresGrad = !!value;
  }

  /** Sets `requiresGrad` in place and returns this tensor (PyTorch's `requires_grad_`). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** The node that produced this tensor, or null for a leaf. */
  get gradFn(): Node | null {
    return this._gradFn;
  }

  /** Whether the tensor is a leaf of the graph (not produced by a recorded op). */
  get isLeaf(): boolean {
    return this._gradFn === null;
  }

  /** @internal */
  _setGradFn(node: Node): void {
    this._gradFn = node;
    this.#requiresGrad = true;
  }

  /** Makes a non-leaf tensor keep its `.grad` during backward. */
  retainGrad(): void {
    if (!this.#requiresGrad) {
      throw new Error(
        "can't retain_grad on Tensor that has requires_grad=False",
      );
    }
    if (this._gradFn !== null) this._retainsGrad = true;
  }

  /** @internal */
  _accumulateGrad(g: Tensor, adoptPass = 0): void {
    const grad = sameShape(g.shape, this.#shape) ? g : g.expand(this.#shape);
    if (this.grad !== null) {
      this.grad = this.grad.add(grad);
      return;
    }
    // adopt a gradient the engine made in this pass (adoptPass) if it is a
    // whole, contiguous storage that no other leaf adopted; else copy it
    const s = grad._storage;
    if (
      adoptPass !== 0 && s.claimedPass !== adoptPass && grad._offset === 0 &&
      s.numel === grad.numel() && grad.isContiguous()
    ) {
      s.claimedPass = adoptPass;
      this.grad = grad;
    } else {
      this.grad = F.materialize(grad);
    }
  }

  /**
   * Computes the gradient of this tensor with respect to the graph's leaves
   * and accumulates it into their `.grad`. `gradient` is required unless the
   * tensor has one element.
   */
  backward(gradient?: Operand, options: BackwardOptions = {}): void {
    if (!this.#requiresGrad) {
      throw new Error(
        "element 0 of tensors does not require grad and does not have a grad_fn",
      );
    }
    let g: Tensor;
    if (gradient === undefined || gradient === null) {
      if (this.numel() !== 1) {
        throw new Error(
          `grad can be implicitly created only for scalar outputs; got a tensor of shape ${
            formatShape(this.#shape)
          }: pass backward(gradient) with that shape`,
        );
      }
      g = F.filled(this.#shape, 1);
    } else {
      g = typeof gradient === "number"
        ? F.filled(this.#shape, gradient)
        : gradient;
      if (!sameShape(g.shape, this.#shape)) {
        throw new RangeError(
          `Mismatch in shape: grad_output[0] has a shape of ${
            formatShape(g.shape)
          } and output[0] has a shape of ${formatShape(this.#shape)}`,
        );
      }
    }
    runBackward(this, g.detach(), options.retainGraph ?? false);
  }

  /** A tensor sharing this one's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this._storage, this.#shape, this._strides, this._offset);
  }

  // ---- reading ----

  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel() !== 1) {
      throw new RangeError(
        `item() needs a tensor with one element, got shape ${
          formatShape(this.#shape)
        }`,
      );
    }
    const s = this._storage;
    return s.data()[s.base() + this._offset];
  }

  /** A copy of the values in row-major order. */
  toFloat32Array(): Float32Array {
    const n = this.numel();
    const src = this._storage.data();
    const start = this._storage.base() + this._offset;
    if (this.isContiguous() && src instanceof Float32Array) {
      // set() of a subarray: slice() takes a far slower path in V8 here
      const out = new Float32Array(n);
      out.set(src.subarray(start, start + n));
      return out;
    }
    const out = new Float32Array(n);
    const shape = this.#shape, strides = this._strides;
    const idx = new Array<number>(shape.length).fill(0);
    let off = start;
    for (let i = 0; i < n; i++) {
      out[i] = src[off];
      for (let d = shape.length - 1; d >= 0; d--) {
        off += strides[d];
        if (++idx[d] < shape[d]) break;
        off -= strides[d] * shape[d];
        idx[d] = 0;
      }
    }
    return out;
  }

  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const flat = this.toFloat32Array();
    const shape = this.#shape;
    if (shape.length === 0) return flat[0];
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = new Array(shape[d]);
      for (let i = 0; i < shape[d]; i++) {
        out[i] = d === shape.length - 1 ? flat[pos++] : build(d + 1);
      }
      return out;
    };
    return build(0);
  }

  /** Prints like PyTorch: `tensor([[8.0000]])`. */
  toString(): string {
    let suffix = "";
    if (this._gradFn !== null) suffix = `, gradFn=${this._gradFn}`;
    else if (this.#requiresGrad) suffix = ", requiresGrad=true";
    return formatTensor(this.toFloat32Array(), this.#shape, suffix);
  }

  /** Frees the data now (optional: dropped tensors are reclaimed anyway). */
  dispose(): void {
    this._storage.dispose();
  }

  /** `using t = ...` disposes at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- views ----

  /** A view (or, if the strides do not allow one, a copy) with `shape`; one dim may be -1. */
  reshape(...shape: (number | readonly number[])[]): Tensor {
    return F.reshape(this, inferShape(this.numel(), flattenArgs(shape)), false);
  }

  /** A view with `shape`; one dim may be -1. Throws when strides do not allow a view. */
  view(...shape: (number | readonly number[])[]): Tensor {
    return F.reshape(this, inferShape(this.numel(), flattenArgs(shape)), true);
  }

  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): Tensor {
    const n = this.ndim;
    const d0 = normalizeDim(dim0, n), d1 = normalizeDim(dim1, n);
    const dims = [...Array(n).keys()];
    dims[d0] = d1;
    dims[d1] = d0;
    return F.permute(this, dims, "TransposeBackward0");
  }

  /** Reorders the dims (a view). */
  permute(...dims: (number | readonly number[])[]): Tensor {
    const list = flattenArgs(dims);
    const n = this.ndim;
    if (list.length !== n) {
      throw new RangeError(
        `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${n} is not equal to len(dims) = ${list.length}`,
      );
    }
    const norm = list.map((d) => normalizeDim(d, n));
    if (new Set(norm).size !== n) {
      throw new RangeError(
        `permute(): duplicate dims are not allowed, got [${list}]`,
      );
    }
    return F.permute(this, norm, "PermuteBackward0");
  }

  /** Transposes a tensor of at most 2 dims. */
  t(): Tensor {
    if (this.ndim > 2) {
      throw new RangeError(
        `t() expects a tensor with <= 2 dimensions, but self is ${this.ndim}D`,
      );
    }
    if (this.ndim < 2) {
      return F.permute(this, [...Array(this.ndim).keys()], "TBackward0");
    }
    return F.permute(this, [1, 0], "TBackward0");
  }

  /** Inserts a dim of size 1 at `dim` (a view). */
  unsqueeze(dim: number): Tensor {
    const d = normalizeDim(dim, this.ndim + 1);
    const shape = copyShape(this.#shape);
    shape.splice(d, 0, 1);
    return F.reshape(this, shape, true, "UnsqueezeBackward0");
  }

  /** Removes dims of size 1 (all, or `dim` if it has size 1) (a view). */
  squeeze(dim?: number): Tensor {
    let shape: number[];
    if (dim === undefined) {
      shape = [];
      for (const s of this.#shape) if (s !== 1) shape.push(s);
    } else {
      const d = normalizeDim(dim, this.ndim);
      shape = copyShape(this.#shape);
      if (this.ndim > 0 && shape[d] === 1) shape.splice(d, 1);
    }
    return F.reshape(this, shape, true, "SqueezeBackward0");
  }

  /** Broadcasts to a larger shape without copying; -1 keeps a dim. */
  expand(...shape: (number | readonly number[])[]): Tensor {
    return F.expand(this, flattenArgs(shape));
  }

  /** `expand` to another tensor's shape. */
  expandAs(other: Tensor): Tensor {
    return F.expand(this, other.shape as number[]);
  }

  /** This tensor if contiguous, else a contiguous copy. */
  contiguous(): Tensor {
    return F.contiguous(this);
  }

  /** A copy with its own storage (recorded, as in PyTorch). */
  clone(): Tensor {
    return F.clone(this);
  }

  /** Flattens dims `startDim`..`endDim` into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    if (this.ndim === 0) return this.reshape(1);
    const s = normalizeDim(startDim, this.ndim);
    const e = normalizeDim(endDim, this.ndim);
    if (s > e) {
      throw new RangeError(
        "flatten() has invalid args: start_dim cannot come after end_dim",
      );
    }
    const shape = [
      ...this.#shape.slice(0, s),
      shapeSize(this.#shape, s, e + 1),
      ...this.#shape.slice(e + 1),
    ];
    return this.reshape(shape);
  }

  // ---- elementwise ----

  /** `this + alpha * other`, broadcasting. */
  add(other: Operand, options?: { alpha?: number }): Tensor {
    return F.add(this, other, options?.alpha ?? 1);
  }

  /** `this - alpha * other`, broadcasting. */
  sub(other: Operand, options?: { alpha?: number }): Tensor {
    return F.sub(this, other, options?.alpha ?? 1);
  }

  /** `this * other`, broadcasting. */
  mul(other: Operand): Tensor {
    return F.mul(this, other);
  }

  /** `this / other`, broadcasting. */
  div(other: Operand): Tensor {
    return F.div(this, other);
  }

  /** `this ** exponent`, broadcasting. */
  pow(exponent: Operand): Tensor {
    return F.pow(this, exponent);
  }

  /** `-this`. */
  neg(): Tensor {
    return F.neg(this);
  }

  /** Elementwise e^x. */
  exp(): Tensor {
    return F.exp(this);
  }

  /** Elementwise natural log. */
  log(): Tensor {
    return F.log(this);
  }

  /** Elementwise square root. */
  sqrt(): Tensor {
    return F.sqrt(this);
  }

  /** Elementwise absolute value. */
  abs(): Tensor {
    return F.abs(this);
  }

  /** Elementwise max(x, 0). */
  relu(): Tensor {
    return F.relu(this);
  }

  /** Elementwise 1 / (1 + e^-x). */
  sigmoid(): Tensor {
    return F.sigmoid(this);
  }

  /** Elementwise hyperbolic tangent. */
  tanh(): Tensor {
    return F.tanh(this);
  }

  /** Elementwise maximum of two tensors (NaN propagates). */
  maximum(other: Operand): Tensor {
    return F.maximum(this, other);
  }

  /** Elementwise minimum of two tensors (NaN propagates). */
  minimum(other: Operand): Tensor {
    return F.minimum(this, other);
  }

  /** Clamps every element into [min, max]; either bound may be omitted. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return F.clamp(this, min ?? null, max ?? null);
  }

  /** Matrix product with torch.matmul's rules. */
  matmul(other: Tensor): Tensor {
    return F.matmul(this, other);
  }

  // ---- reductions ----

  /** Sum over everything, or over `dim` (one or several). */
  sum(
    dim?: number | readonly number[] | null,
    options?: ReduceOptions,
  ): Tensor {
    return F.sum(this, dim ?? null, options?.keepdim ?? false);
  }

  /** Mean over everything, or over `dim` (one or several). */
  mean(
    dim?: number | readonly number[] | null,
    options?: ReduceOptions,
  ): Tensor {
    return F.mean(this, dim ?? null, options?.keepdim ?? false);
  }

  /** Maximum of all elements, or `{ values, indices }` along `dim`. */
  max(): Tensor;
  /** `{ values, indices }` of the maximum along `dim`. */
  max(dim: number, options?: ReduceOptions): ValuesIndices;
  max(dim?: number, options?: ReduceOptions): Tensor | ValuesIndices {
    return F.extreme(this, true, dim, options?.keepdim ?? false);
  }

  /** Minimum of all elements, or `{ values, indices }` along `dim`. */
  min(): Tensor;
  /** `{ values, indices }` of the minimum along `dim`. */
  min(dim: number, options?: ReduceOptions): ValuesIndices;
  min(dim?: number, options?: ReduceOptions): Tensor | ValuesIndices {
    return F.extreme(this, false, dim, options?.keepdim ?? false);
  }

  /** Index of the maximum (flattened), or along `dim`. */
  argmax(dim?: number, options?: ReduceOptions): Tensor {
    return F.argExtreme(this, true, dim, options?.keepdim ?? false);
  }

  /** Index of the minimum (flattened), or along `dim`. */
  argmin(dim?: number, options?: ReduceOptions): Tensor {
    return F.argExtreme(this, false, dim, options?.keepdim ?? false);
  }

  // ---- in place (not recorded; refused on leaves that require grad) ----

  /** Fills with zeros in place. */
  zero_(): this {
    return this.fill_(0);
  }

  /** Fills with `value` in place. */
  fill_(value: number): this {
    F.inPlace(this, "fill_", (t) => F.fillInPlace(t, value));
    return this;
  }

  /** Copies `src` (broadcast to this shape) into this tensor. */
  copy_(src: Tensor): this {
    F.inPlace(this, "copy_", (t) => F.copyInPlace(t, src));
    return this;
  }

  /** `this += alpha * other` in place. */
  add_(other: Operand, options?: { alpha?: number }): this {
    F.inPlace(this, "add_", (t) => F.addInPlace(t, other, options?.alpha ?? 1));
    return this;
  }

  /** `this -= alpha * other` in place. */
  sub_(other: Operand, options?: { alpha?: number }): this {
    F.inPlace(
      this,
      "sub_",
      (t) => F.addInPlace(t, other, -(options?.alpha ?? 1)),
    );
    return this;
  }

  /** `this *= other` in place. */
  mul_(other: Operand): this {
    F.inPlace(this, "mul_", (t) => F.mulInPlace(t, other));
    return this;
  }
}

function flattenArgs(args: (number | readonly number[])[]): number[] {
  // a plain copy: values are validated (and made packed shapes) by the caller
  if (args.length === 1 && Array.isArray(args[0])) return args[0].slice();
  for (const a of args) {
    if (typeof a !== "number") {
      throw new TypeError(
        `expected a shape as numbers or one array of numbers, got ${
          JSON.stringify(args)
        }`,
      );
    }
  }
  return args as number[];
}

/** Resolves one -1 in `shape` for `numel` elements, with PyTorch's errors. */
export function inferShape(numel: number, shape: readonly number[]): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === -1) {
      if (infer >= 0) {
        throw new RangeError("only one dimension can be inferred");
      }
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`invalid shape dimension ${d}`);
    } else known *= d;
  }
  const out = copyShape(shape);
  if (infer >= 0) {
    if (known === 0 || numel % known !== 0) {
      throw new RangeError(
        `shape '${formatShape(shape)}' is invalid for input of size ${numel}`,
      );
    }
    out[infer] = (numel / known) | 0; // an integer, kept a small integer
  } else if (known !== numel) {
    throw new RangeError(
      `shape '${formatShape(shape)}' is invalid for input of size ${numel}`,
    );
  }
  return out;
}

// ---- creation ----

/** Options of tensor creation functions. */
export interface TensorOptions {
  /** Record ops on the new tensor for autograd (default false). */
  requiresGrad?: boolean;
}

/** Options of `tensor()`. */
export interface TensorDataOptions extends TensorOptions {
  /** The shape of flat data (a Float32Array or a flat array). */
  shape?: readonly number[];
}

function leaf(
  data: Float32Array,
  shape: number[],
  opts?: TensorOptions,
): Tensor {
  const t = new Tensor(
    Storage.fromHost(data),
    shape,
    contiguousStrides(shape),
    0,
  );
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * A tensor from a number, nested arrays of numbers, or flat data (a
 * Float32Array, or any array with `{ shape }`). The data is copied.
 *
 * @example
 * ```ts
 * import { tensor } from "../mod.ts";
 * const a = tensor([[1, 2], [3, 4]]);
 * const b = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
 * console.log(a.shape, b.shape); // [2, 2] [2, 3]
 * ```
 */
export function tensor(
  data: NestedArray | Float32Array | ArrayLike<number> | Tensor,
  options?: TensorDataOptions,
): Tensor {
  if (data instanceof Tensor) {
    return leaf(data.toFloat32Array(), copyShape(data.shape), options);
  }
  if (typeof data === "number") {
    if (options?.shape && shapeSize(options.shape) !== 1) {
      throw new RangeError(
        `shape ${formatShape(options.shape)} does not fit 1 value`,
      );
    }
    return leaf(
      new Float32Array([data]),
      options?.shape ? checkShape(options.shape) : [],
      options,
    );
  }
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const flat = Float32Array.from(data as ArrayLike<number>);
    const shape = options?.shape ? checkShape(options.shape) : [flat.length];
    if (shapeSize(shape) !== flat.length) {
      throw new RangeError(
        `shape ${formatShape(shape)} has ${
          shapeSize(shape)
        } elements but the data has ${flat.length}`,
      );
    }
    return leaf(flat, shape, options);
  }
  if (!Array.isArray(data)) {
    throw new TypeError(
      `tensor() expects a number, nested arrays of numbers or a Float32Array, got ${
        describe(data)
      }`,
    );
  }
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat = new Float32Array(shapeSize(shape));
  let pos = 0;
  const walk = (node: unknown, d: number): void => {
    if (d === shape.length) {
      if (typeof node !== "number") {
        throw new TypeError(
          `tensor() expects numbers, got ${describe(node)} at depth ${d}`,
        );
      }
      flat[pos++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[d]) {
      throw new RangeError(
        `expected sequence of length ${shape[d]} at dim ${d} (got ${
          Array.isArray(node) ? node.length : describe(node)
        })`,
      );
    }
    for (const child of node) walk(child, d + 1);
  };
  walk(data, 0);
  if (options?.shape) {
    const target = checkShape(options.shape);
    if (shapeSize(target) !== flat.length) {
      throw new RangeError(
        `shape ${formatShape(target)} has ${
          shapeSize(target)
        } elements but the data has ${flat.length}`,
      );
    }
    return leaf(flat, target, options);
  }
  return leaf(flat, shape, options);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v;
}

/** Shape arguments: varargs numbers or one array, then optional options. */
export type ShapeArgs = (number | readonly number[] | TensorOptions)[];

function parseShapeArgs(
  args: ShapeArgs,
): [number[], TensorOptions | undefined] {
  let opts: TensorOptions | undefined;
  const rest = [...args];
  const lastArg = rest[rest.length - 1];
  if (
    lastArg !== undefined && typeof lastArg === "object" &&
    !Array.isArray(lastArg)
  ) {
    opts = rest.pop() as TensorOptions;
  }
  return [checkShape(flattenArgs(rest as (number | number[])[])), opts];
}

/** A tensor of zeros: `zeros(2, 3)` or `zeros([2, 3], { requiresGrad })`. */
export function zeros(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShapeArgs(args);
  return leaf(new Float32Array(shapeSize(shape)), shape, opts);
}

/** A tensor of ones. */
export function ones(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShapeArgs(args);
  return leaf(new Float32Array(shapeSize(shape)).fill(1), shape, opts);
}

/** A tensor of `shape` filled with `value`. */
export function full(
  shape: readonly number[],
  value: number,
  options?: TensorOptions,
): Tensor {
  const s = checkShape(shape);
  return leaf(new Float32Array(shapeSize(s)).fill(value), s, options);
}

/** Zeros with the shape of `t`. */
export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  return zeros(copyShape(t.shape), options ?? {});
}

/** Ones with the shape of `t`. */
export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  return ones(copyShape(t.shape), options ?? {});
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`, as
 * torch.arange: `arange(5)`, `arange(1, 4)`, `arange(0, 1, 0.25)`.
 */
export function arange(
  start: number,
  end?: number,
  step = 1,
  options?: TensorOptions,
): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) {
    throw new RangeError(`step must be nonzero and finite, got ${step}`);
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new RangeError(`unsupported range: ${start} -> ${end}`);
  }
  if ((end - start) / step < 0) {
    throw new RangeError(
      "upper bound and larger bound inconsistent with step sign",
    );
  }
  const n = Math.ceil((end - start) / step);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return leaf(data, [n], options);
}

/** `steps` evenly spaced values from `start` to `end` inclusive. */
export function linspace(
  start: number,
  end: number,
  steps: number,
  options?: TensorOptions,
): Tensor {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new RangeError(`number of steps must be non-negative, got ${steps}`);
  }
  const data = new Float32Array(steps);
  if (steps === 1) {
    // torch.linspace(a, b, 1) is [a]
    data[0] = start;
    return leaf(data, [1], options);
  }
  const step = (end - start) / (steps - 1);
  // as PyTorch: the first half counts up from start, the second down from end
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    data[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  }
  return leaf(data, [steps], options);
}

// A small, fast PRNG (xoshiro128**) so rand/randn are reproducible with
// manualSeed. Its stream is not PyTorch's (mt19937).
const rngState = new Uint32Array(4);

/** Seeds the generator behind `rand` and `randn`, as torch.manual_seed. */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) {
    throw new RangeError(`seed must be a finite number, got ${seed}`);
  }
  // splitmix32 expands the seed into the state
  let x = (Math.trunc(seed) >>> 0) ^ Math.trunc(seed / 2 ** 32);
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    rngState[i] = (z ^ (z >>> 16)) >>> 0;
  }
}
manualSeed(Date.now());

function nextU32(): number {
  const s = rngState;
  const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A uniform float in [0, 1) with 24 random bits. */
export function randomUniform(): number {
  return (nextU32() >>> 8) / 16777216;
}

/** Uniform random values in [0, 1). */
export function rand(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShapeArgs(args);
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = randomUniform();
  return leaf(data, shape, opts);
}

/** Standard normal random values. */
export function randn(...args: ShapeArgs): Tensor {
  const [shape, opts] = parseShapeArgs(args);
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i += 2) {
    // Box-Muller; 1 - u keeps the log finite
    const u1 = 1 - randomUniform(), u2 = randomUniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    data[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return leaf(data, shape, opts);
}

/** Whether autograd is recording right now (outside `noGrad`). */
export { isGradEnabled };
