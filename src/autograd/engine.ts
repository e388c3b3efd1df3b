/**
 * The dynamic graph: each recorded op leaves a `Node` on its output that
 * knows its inputs and how to map the output's gradient to theirs.
 * `backward()` orders the graph topologically from the root, walks it in
 * reverse, and accumulates into the leaves' `.grad`, as PyTorch does.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { nextStorageId } from "../storage.ts";

let gradEnabled = true;
let pass = 0;

/** Whether ops are being recorded (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording any op (PyTorch's `torch.no_grad()`), and
 * returns its value.
 *
 * @example
 * ```ts
 * import { noGrad, tensor } from "../../mod.ts";
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2));
 * console.log(y.requiresGrad); // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Maps an output gradient to one gradient (or null) per input. `retain` is
 * true when the graph is kept for another backward (a rule may free tensors
 * it saved only when it is false).
 */
export type BackwardFn = (grad: Tensor, retain: boolean) => (Tensor | null)[];

/** A recorded op: the `gradFn` of a tensor that came out of it. */
export class Node {
  /** PyTorch's name for the backward function, e.g. `MulBackward0`. */
  readonly name: string;
  /** The op's tensor inputs (null where an input needs no gradient). */
  inputs: (Tensor | null)[];
  private fn: BackwardFn | null;

  /** @internal Nodes are made by `record()` as ops run. */
  constructor(name: string, inputs: (Tensor | null)[], fn: BackwardFn) {
    this.name = name;
    this.inputs = inputs;
    this.fn = fn;
  }

  /** Runs the rule; frees what it saved unless `retain`. */
  apply(grad: Tensor, retain: boolean): (Tensor | null)[] {
    const fn = this.fn;
    if (fn === null) {
      throw new Error(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call backward(). Specify backward({ retainGraph: true }) if you need to backward through the graph a second time.",
      );
    }
    if (!retain) {
      // free what the rule saved, and the references to the inputs
      this.fn = null;
      this.inputs = [];
    }
    return fn(grad, retain);
  }

  /** `<MulBackward0>`, as PyTorch prints it. */
  toString(): string {
    return `<${this.name}>`;
  }
}

/** Records `fn` as the gradFn of `out` if any input requires grad. */
export function record(
  out: Tensor,
  name: string,
  inputs: Tensor[],
  fn: BackwardFn,
): Tensor {
  if (!gradEnabled) return out;
  let any = false;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].requiresGrad) {
      any = true;
      break;
    }
  }
  if (!any) return out;
  out._setGradFn(
    new Node(name, inputs.map((t) => (t.requiresGrad ? t : null)), fn),
  );
  return out;
}

/**
 * Backpropagates `grad` (same shape as `root`) through the graph that made
 * `root`, accumulating into leaves that require grad.
 */
export function runBackward(root: Tensor, grad: Tensor, retain: boolean): void {
  // Topological order by iterative DFS. Each pass gets a new mark, kept on
  // the tensors themselves, and pending gradients ride on them too: no Set
  // or Map per backward, which is most of the cost on tiny graphs.
  const mark = ++pass;
  const order: Tensor[] = [];
  const stack: Tensor[] = [root];
  const cursor: number[] = [0];
  root._pass = mark;
  while (stack.length > 0) {
    const top = stack.length - 1;
    const t = stack[top];
    const node = t.gradFn;
    if (node !== null && cursor[top] < node.inputs.length) {
      const next = node.inputs[cursor[top]++];
      if (next !== null && next._pass !== mark) {
        next._pass = mark;
        next._pending = null;
        stack.push(next);
        cursor.push(0);
      }
    } else {
      stack.pop();
      cursor.pop();
      order.push(t);
    }
  }
  // Gradients made during this pass (storage id >= firstId) belong to the
  // engine: a leaf may adopt one as its .grad without a copy, and one that
  // nothing refers to any more is freed at once instead of waiting to be
  // evicted from the working area (which would copy it out).
  const firstId = nextStorageId();
  const owned = (t: Tensor) => t._storage.id >= firstId;
  const ref = (t: Tensor) => {
    const s = t._storage;
    if (s.id < firstId) return;
    if (s.refPass !== mark) {
      s.refPass = mark;
      s.refs = 0;
    }
    s.refs++;
  };
  const unref = (t: Tensor) => {
    const s = t._storage;
    if (s.id < firstId || s.refPass !== mark) return;
    if (--s.refs === 0 && s.claimedPass !== mark) s.dispose();
  };
  root._pending = grad;
  ref(grad);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = t._pending;
      if (g === null) continue;
      t._pending = null;
      const node = t.gradFn;
      if (node === null) {
        if (t.requiresGrad) t._accumulateGrad(g, owned(g) ? mark : 0);
        unref(g);
        continue;
      }
      if (t._retainsGrad) t._accumulateGrad(g, owned(g) ? mark : 0);
      const inputs = node.inputs;
      const inGrads = node.apply(g, retain);
      for (let j = 0; j < inputs.length; j++) {
        const input = inputs[j];
        const ig = inGrads[j];
        if (input === null || !ig) continue;
        const acc = input._pending;
        if (acc === null) {
          input._pending = ig;
          ref(ig);
        } else {
          const sum = acc.add(ig);
          input._pending = sum;
          ref(sum);
          ref(ig);
          unref(ig);
          unref(acc);
        }
      }
      unref(g);
    }
  } finally {
    gradEnabled = prev;
    for (let i = 0; i < order.length; i++) order[i]._pending = null;
  }
}
