// The memory model: no leaks without dispose() in a synchronous loop, a
// bounded WebAssembly working area, eviction that never loses data.
import {
  memoryStats,
  ones,
  rand,
  setMemoryBudget,
  type Tensor,
  tensor,
} from "../mod.ts";
import { assert, assertClose, assertEquals, assertThrows } from "./_assert.ts";

const MiB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

function inUse(): number {
  gc?.();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

function withBudget(bytes: number, fn: () => void): void {
  const before = memoryStats().budgetBytes;
  setMemoryBudget(bytes);
  try {
    fn();
  } finally {
    setMemoryBudget(before);
  }
}

Deno.test("storage: a synchronous loop without dispose stays in bounded memory", () => {
  assert(gc, "run with --v8-flags=--expose-gc");
  withBudget(8 * MiB, () => {
    const x = rand(1000);
    let base = 0;
    const iters = 40000; // 160 MB of outputs through an 8 MiB area
    for (let i = 0; i < iters; i++) {
      const y = x.mul(2).add(1).relu();
      if (i === iters / 4) base = inUse();
      if (i === iters - 1) assert(y.shape[0] === 1000);
    }
    const growth = inUse() - base;
    // leaking one 4 KB output per iteration would be ~120 MB here
    assert(
      growth < 16 * MiB,
      `memory grew by ${(growth / MiB).toFixed(1)} MiB`,
    );
    assert(
      memoryStats().wasmBytes <= 16 * MiB + 8 * MiB,
      `wasm memory ${memoryStats().wasmBytes}`,
    );
  });
});

Deno.test("storage: large tensors cycle through a small area without growth", () => {
  withBudget(16 * MiB, () => {
    const x = rand(1024, 1024);
    const wasm0 = memoryStats().wasmBytes;
    let base = 0;
    for (let i = 0; i < 60; i++) {
      const y = x.mul(1.5).add(x);
      if (i === 15) base = inUse();
      if (i === 59) assertEquals(y.shape, [1024, 1024]);
    }
    const growth = inUse() - base;
    assert(
      growth < 48 * MiB,
      `memory grew by ${(growth / MiB).toFixed(1)} MiB`,
    );
    assert(memoryStats().wasmBytes <= Math.max(wasm0, 24 * MiB));
  });
});

Deno.test("storage: evicted tensors keep their values", () => {
  withBudget(256 * 1024, () => {
    const kept: [Tensor, Float32Array][] = [];
    for (let i = 0; i < 400; i++) {
      const t = rand(500).mul(i + 1);
      if (i % 37 === 0) kept.push([t, t.toFloat32Array()]);
    }
    assert(memoryStats().residentBytes <= 256 * 1024 + 64 * 1024);
    for (const [t, values] of kept) {
      assertClose(t.toFloat32Array(), values, 0, 0, "evicted tensor");
      // and they compute correctly after being loaded back
      assertClose(t.add(0).toFloat32Array(), values, 0, 0, "reloaded tensor");
    }
  });
});

Deno.test("storage: in-place writes survive eviction", () => {
  withBudget(128 * 1024, () => {
    const p = ones(1000);
    p.mul_(3);
    for (let i = 0; i < 200; i++) rand(1000).add(1);
    assertEquals([...p.toFloat32Array()].every((v) => v === 3), true);
    p.add_(1);
    for (let i = 0; i < 200; i++) rand(1000).add(1);
    assertEquals([...p.toFloat32Array()].every((v) => v === 4), true);
  });
});

Deno.test("storage: one op whose operands exceed the budget still runs", () => {
  withBudget(64 * 1024, () => {
    const a = rand(100, 100), b = rand(100, 100); // 40 KB each
    const c = a.add(b);
    const av = a.toFloat32Array(), bv = b.toFloat32Array();
    const expected = av.map((v, i) => Math.fround(v + bv[i]));
    assertClose(c.toFloat32Array(), expected, 0, 0, "sum");
  });
});

Deno.test("storage: dispose frees at once and later use throws", () => {
  const t = ones(100).add(1);
  const before = memoryStats();
  t.dispose();
  const after = memoryStats();
  assertEquals(after.disposedTensors, before.disposedTensors + 1);
  assert(after.residentBytes < before.residentBytes);
  assertThrows(() => t.add(1), ReferenceError, "dispose");
  assertThrows(() => t.toArray(), ReferenceError, "dispose");
  t.dispose(); // twice is harmless
});

Deno.test("storage: using disposes at the end of the scope", () => {
  let escaped: Tensor;
  {
    using t = tensor([1, 2]).mul(2);
    escaped = t;
    assertEquals(t.toArray(), [2, 4]);
  }
  assertThrows(() => escaped.toArray(), ReferenceError);
});

Deno.test("storage: memoryStats counts allocations", () => {
  const a = ones(3);
  const before = memoryStats().allocatedTensors;
  a.add(1).mul(2);
  assertEquals(memoryStats().allocatedTensors - before, 2);
});

Deno.test("storage: setMemoryBudget validates its argument", () => {
  assertThrows(() => setMemoryBudget(-1), RangeError, "budget");
  assertThrows(() => setMemoryBudget(NaN), RangeError, "budget");
});

Deno.test("storage: a freed temporary's block is reused by the next output", () => {
  const a = rand(4096), b = rand(4096);
  const av = a.toFloat32Array(), bv = b.toFloat32Array();
  for (let i = 0; i < 50; i++) {
    const t = a.add(b);
    t.dispose();
    const u = a.mul(b);
    assertClose(
      u.toFloat32Array(),
      av.map((x, j) => Math.fround(x * bv[j])),
      0,
      0,
      "product",
    );
    u.dispose();
  }
  assertClose(a.toFloat32Array(), av, 0, 0, "a intact");
  assertClose(b.toFloat32Array(), bv, 0, 0, "b intact");
});
