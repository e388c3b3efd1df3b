/**
 * Typed wrappers around the wasm kernels: they take tensors, lay out strides
 * and descriptors, pin operands, call the kernel and wrap the output. No
 * autograd here (see autograd/functions.ts) and no user-facing validation
 * beyond what the layout itself needs.
 *
 * @module
 */
import { BinaryOp, kernels, ReduceOp, UnaryOp } from "./wasm.ts";
import { beginOp, descriptor, type HostData, Storage } from "./storage.ts";
import { matmulParallel } from "./matmul_threads.ts";
import {
  broadcastShapes,
  broadcastStrides,
  collapseDims,
  concatShape,
  contiguousStrides,
  dropDims,
  isContiguous,
  sameShape,
  shapeSize,
} from "./shape.ts";
import { Tensor } from "./tensor.ts";
import {
  binaryHost,
  matmulHost,
  reduceHost,
  TINY,
  unaryHost,
} from "./host_kernels.ts";

export { BinaryOp, ReduceOp, UnaryOp };

function wrap(storage: Storage, shape: readonly number[]): Tensor {
  return Tensor._fromStorage(storage, shape, contiguousStrides(shape), 0);
}

function wrapHost(data: HostData, shape: readonly number[]): Tensor {
  return wrap(Storage.fromHost(data), shape);
}

/** out = op(a, b; p) with broadcasting; a new contiguous tensor. */
export function binaryKernel(
  op: number,
  a: Tensor,
  b: Tensor,
  p = 0,
): Tensor {
  // the WebAssembly kernels take p as f32; the host path must round it alike
  p = Math.fround(p);
  const same = sameShape(a.shape, b.shape);
  const shape = same ? a.shape : broadcastShapes(a.shape, b.shape);
  const numel = shapeSize(shape);
  const sa = same ? a._strides : broadcastStrides(a.shape, a._strides, shape);
  const sb = same ? b._strides : broadcastStrides(b.shape, b._strides, shape);
  if (numel <= TINY) {
    const as = a._storage, bs = b._storage;
    return wrapHost(
      binaryHost(
        op,
        shape,
        numel,
        as.data(),
        as.base() + a._offset,
        sa,
        bs.data(),
        bs.base() + b._offset,
        sb,
        p,
      ),
      shape,
    );
  }
  beginOp();
  const pa = a._storage.acquire() + a._offset * 4;
  const pb = b._storage.acquire() + b._offset * 4;
  const out = Storage.output(numel);
  if (numel > 0) {
    const { shape: cs, strides } = collapseDims(shape, [sa, sb]);
    const desc = descriptor([cs, strides[0], strides[1]], cs.length);
    kernels.binary(op, cs.length, desc, pa, pb, out.ptr, p);
  }
  return wrap(out, shape);
}

/** out = op(a; p, q); a new contiguous tensor. */
export function unaryKernel(op: number, a: Tensor, p = 0, q = 0): Tensor {
  // the WebAssembly kernels take p and q as f32; the host path must round alike
  p = Math.fround(p);
  q = Math.fround(q);
  const numel = a.numel();
  if (numel <= TINY) {
    const as = a._storage;
    return wrapHost(
      unaryHost(
        op,
        a.shape,
        numel,
        as.data(),
        as.base() + a._offset,
        a._strides,
        p,
        q,
      ),
      a.shape,
    );
  }
  beginOp();
  const pa = a._storage.acquire() + a._offset * 4;
  const out = Storage.output(numel);
  if (numel > 0) {
    const { shape: cs, strides } = collapseDims(a.shape, [a._strides]);
    const desc = descriptor([cs, strides[0]], cs.length);
    kernels.unary(op, cs.length, desc, pa, out.ptr, p, q);
  }
  return wrap(out, a.shape);
}

/** `a` itself when contiguous, else a contiguous copy. */
export function contiguousKernel(a: Tensor): Tensor {
  if (isContiguous(a.shape, a._strides)) return a;
  return unaryKernel(UnaryOp.copy, a);
}

/** Writes `src` (broadcast to `dst`'s shape) into contiguous `dst`, in place. */
export function copyInto(dst: Tensor, src: Tensor): void {
  beginOp();
  const ps = src._storage.acquire() + src._offset * 4;
  const pd = dst._storage.acquireForWrite() + dst._offset * 4;
  const numel = dst.numel();
  if (numel === 0) return;
  const { shape: cs, strides } = collapseDims(dst.shape, [
    broadcastStrides(src.shape, src._strides, dst.shape),
  ]);
  const desc = descriptor([cs, strides[0]], cs.length);
  kernels.unary(UnaryOp.copy, cs.length, desc, ps, pd, 0, 0);
}

/** In place: dst = op(dst, src; p) for contiguous `dst`, `src` broadcast to it. */
export function binaryInPlace(
  op: number,
  dst: Tensor,
  src: Tensor,
  p = 0,
): void {
  beginOp();
  const ps = src._storage.acquire() + src._offset * 4;
  const pd = dst._storage.acquireForWrite() + dst._offset * 4;
  if (dst.numel() === 0) return;
  const { shape: cs, strides } = collapseDims(dst.shape, [
    dst._strides,
    broadcastStrides(src.shape, src._strides, dst.shape),
  ]);
  const desc = descriptor([cs, strides[0], strides[1]], cs.length);
  kernels.binary(op, cs.length, desc, pd, ps, pd, p);
}

/** In place: dst = op(dst; p, q) for contiguous `dst`. */
export function unaryInPlace(op: number, dst: Tensor, p = 0, q = 0): void {
  beginOp();
  const pd = dst._storage.acquireForWrite() + dst._offset * 4;
  const n = dst.numel();
  if (n === 0) return;
  const desc = descriptor([[n], [1]], 1);
  kernels.unary(op, 1, desc, pd, pd, p, q);
}

/** A new tensor of `shape` filled with `value`. */
export function fillKernel(shape: readonly number[], value: number): Tensor {
  const numel = shapeSize(shape);
  if (numel <= TINY) {
    return wrapHost(new Array<number>(numel).fill(Math.fround(value)), shape);
  }
  beginOp();
  const out = Storage.output(numel);
  if (numel > 0) kernels.fill(out.ptr, numel, value);
  return wrap(out, shape);
}

/**
 * Reduces the adjacent dims [start, end) of `a`: sum, or max/min with the
 * index along the flattened run. Output shape drops those dims.
 */
export function reduceRun(
  op: number,
  a: Tensor,
  start: number,
  end: number,
  withIndices = false,
): { values: Tensor; indices: Tensor | null } {
  const src = contiguousKernel(a);
  const shape = src.shape;
  const outer = shapeSize(shape, 0, start);
  const r = shapeSize(shape, start, end);
  const inner = shapeSize(shape, end);
  const outShape = dropDims(shape, start, end);
  if (src.numel() <= TINY) {
    const ss = src._storage;
    const r2 = reduceHost(
      op,
      outer,
      r,
      inner,
      ss.data(),
      ss.base() + src._offset,
      withIndices,
    );
    return {
      values: wrapHost(r2.values, outShape),
      indices: r2.indices ? wrapHost(r2.indices, outShape) : null,
    };
  }
  beginOp();
  const ps = src._storage.acquire() + src._offset * 4;
  const out = Storage.output(outer * inner);
  const idx = withIndices ? Storage.output(outer * inner) : null;
  if (outer * inner > 0) {
    kernels.reduce(op, outer, r, inner, ps, out.ptr, idx ? idx.ptr : 0);
  }
  return {
    values: wrap(out, outShape),
    indices: idx ? wrap(idx, outShape) : null,
  };
}

/**
 * Batched matmul over already-broadcast batch shapes: a [...batch, m, k],
 * b [...batch, k, n] (given with their own batch shapes, broadcast to
 * `batch`), any strides. Returns [...batch, m, n].
 */
export function matmulKernel(
  a: Tensor,
  b: Tensor,
  batch: readonly number[],
): Tensor {
  const ar = a.ndim, br = b.ndim;
  const m = a.shape[ar - 2], k = a.shape[ar - 1], n = b.shape[br - 1];
  const outShape = concatShape(batch, [m, n]);
  const count = shapeSize(batch);
  const total = count * m * n;
  const flat = batch.length === 0;
  const sa = flat ? batch as number[] : broadcastStrides(
    a.shape.slice(0, -2),
    a._strides.slice(0, -2),
    batch,
  );
  const sb = flat ? batch as number[] : broadcastStrides(
    b.shape.slice(0, -2),
    b._strides.slice(0, -2),
    batch,
  );
  const rsa = a._strides[ar - 2], csa = a._strides[ar - 1];
  const rsb = b._strides[br - 2], csb = b._strides[br - 1];
  const host = total <= TINY && total * k <= TINY * TINY;
  let out: Storage;
  let run: (offA: number, offB: number, i: number) => void;
  if (host) {
    const c = new Array<number>(total).fill(0);
    out = Storage.fromHost(c);
    const as = a._storage, bs = b._storage;
    const ad = as.data(), bd = bs.data();
    const a0 = as.base() + a._offset, b0 = bs.base() + b._offset;
    run = (offA, offB, i) =>
      matmulHost(
        m,
        n,
        k,
        ad,
        a0 + offA,
        rsa,
        csa,
        bd,
        b0 + offB,
        rsb,
        csb,
        c,
        i * m * n,
      );
  } else {
    beginOp();
    const pa = a._storage.acquire() + a._offset * 4;
    const pb = b._storage.acquire() + b._offset * 4;
    out = Storage.output(total);
    if (total > 0 && k === 0) kernels.fill(out.ptr, total, 0);
    const o = out;
    run = (offA, offB, i) =>
      matmulParallel(
        m,
        n,
        k,
        pa + offA * 4,
        rsa,
        csa,
        pb + offB * 4,
        rsb,
        csb,
        o.ptr + i * m * n * 4,
        0,
      );
  }
  if (total === 0 || k === 0) return wrap(out, outShape);
  if (flat) {
    run(0, 0, 0);
    return wrap(out, outShape);
  }
  const idx = new Array<number>(batch.length).fill(0);
  let offA = 0, offB = 0;
  for (let i = 0; i < count; i++) {
    run(offA, offB, i);
    for (let d = batch.length - 1; d >= 0; d--) {
      offA += sa[d];
      offB += sb[d];
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
      offA -= sa[d] * batch[d];
      offB -= sb[d] * batch[d];
    }
  }
  return wrap(out, outShape);
}
