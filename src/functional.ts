/**
 * torch.* function forms of the Tensor ops. Unlike the methods, these accept
 * a number on either side, as `torch.pow(2.0, x)` or `torch.sub(1, x)` do.
 *
 * @module
 */
import * as F from "./autograd/functions.ts";
import { type Operand, Tensor } from "./tensor.ts";

function check(x: unknown, name: string, arg: string): void {
  if (!(x instanceof Tensor) && typeof x !== "number") {
    throw new TypeError(
      `${name}(): argument '${arg}' must be a Tensor or a number, got ${
        x === null ? "null" : typeof x
      }`,
    );
  }
}

function tensorOrThrow(a: Operand, b: Operand, name: string): void {
  check(a, name, "input");
  check(b, name, "other");
  if (typeof a === "number" && typeof b === "number") {
    throw new TypeError(`${name}(): at least one operand must be a Tensor`);
  }
}

/** `a + alpha * b` (torch.add). */
export function add(
  a: Operand,
  b: Operand,
  options?: { alpha?: number },
): Tensor {
  tensorOrThrow(a, b, "add");
  const alpha = options?.alpha ?? 1;
  if (typeof a === "number") {
    return alpha === 1 ? (b as Tensor).add(a) : (b as Tensor).mul(alpha).add(a);
  }
  return a.add(b, { alpha });
}

/** `a - alpha * b` (torch.sub). */
export function sub(
  a: Operand,
  b: Operand,
  options?: { alpha?: number },
): Tensor {
  tensorOrThrow(a, b, "sub");
  const alpha = options?.alpha ?? 1;
  if (typeof a === "number") {
    return F.rsub(alpha === 1 ? (b as Tensor) : (b as Tensor).mul(alpha), a);
  }
  return a.sub(b, { alpha });
}

/** `a * b` (torch.mul). */
export function mul(a: Operand, b: Operand): Tensor {
  tensorOrThrow(a, b, "mul");
  return typeof a === "number" ? (b as Tensor).mul(a) : a.mul(b);
}

/** `a / b` (torch.div). */
export function div(a: Operand, b: Operand): Tensor {
  tensorOrThrow(a, b, "div");
  return typeof a === "number" ? F.rdiv(b as Tensor, a) : a.div(b);
}

/** `a ** b` (torch.pow), with a number base or exponent. */
export function pow(a: Operand, b: Operand): Tensor {
  tensorOrThrow(a, b, "pow");
  return typeof a === "number" ? F.rpow(b as Tensor, a) : a.pow(b);
}

/** Elementwise maximum (torch.maximum). */
export function maximum(a: Tensor, b: Operand): Tensor {
  return a.maximum(b);
}

/** Elementwise minimum (torch.minimum). */
export function minimum(a: Tensor, b: Operand): Tensor {
  return a.minimum(b);
}

/** Matrix product with torch.matmul's rules. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor)) {
    throw new TypeError("matmul(): argument 'input' must be a Tensor");
  }
  return a.matmul(b);
}
