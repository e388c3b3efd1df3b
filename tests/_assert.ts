/**
 * The assertions the tests use, in one place: swapping in `@std/assert`
 * later is a change to this file only.
 *
 * @module
 */
import * as nodeAssert from "node:assert/strict";

/** Asserts that `actual` is deeply equal to `expected`. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Asserts that `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/**
 * Asserts that `fn` throws an error of class `ErrorClass` whose message
 * includes `includes`; returns the error.
 */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => Error = Error,
  includes?: string,
): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) {
    throw new nodeAssert.AssertionError({ message: "expected a throw" });
  }
  nodeAssert.ok(
    caught instanceof ErrorClass,
    `expected ${ErrorClass.name}, got ${caught}`,
  );
  if (includes !== undefined) {
    nodeAssert.ok(
      (caught as Error).message.includes(includes),
      `expected the message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify((caught as Error).message)
      }`,
    );
  }
  return caught as Error;
}

/**
 * Asserts `|actual - expected| <= atol + rtol * |expected|` elementwise
 * (NaN matches NaN, infinities must be equal).
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  msg = "",
): void {
  nodeAssert.equal(actual.length, expected.length, `${msg}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!Number.isFinite(e) && a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new nodeAssert.AssertionError({
        message:
          `${msg}: element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`,
      });
    }
  }
}
