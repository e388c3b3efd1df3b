// Reductions against a float64 reference computed here: sum, mean, max, min,
// argmax, argmin over everything, one dim, several adjacent or non-adjacent
// dims, with and without keepdim; at lengths 0, 1, 3, 4, 5, 17, 1000 (the
// SIMD main loop and its tail); on non-contiguous inputs; NaN and ties with
// PyTorch's rules; and the accuracy of long sums.
import { type Tensor, tensor } from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { seededRandom } from "../support/random.ts";

const random = seededRandom(0x9e3779b9);

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function input(shape: number[], lo = -10, hi = 10): Tensor {
  const data = new Float32Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * random();
  return tensor(data, { shape });
}

type Kind = "sum" | "mean" | "max" | "min";

/**
 * Reference reduction of logical (row-major) `data` of `shape` over `dims`:
 * float64 sums; max/min with NaN winning; `index` is the position along the
 * (single) reduced dim of the first selected element.
 */
function reduceRef(
  data: Float32Array,
  shape: readonly number[],
  dims: readonly number[],
  kind: Kind,
  keepdim: boolean,
): { shape: number[]; values: number[]; indices: number[]; absSums: number[] } {
  const nd = shape.length;
  const reduced = new Set(dims.map((d) => (d < 0 ? d + nd : d)));
  const outFull = shape.map((s, d) => (reduced.has(d) ? 1 : s));
  const outShape = keepdim ? outFull : shape.filter((_, d) => !reduced.has(d));
  const n = size(outFull);
  const acc = new Array<number>(n).fill(
    kind === "max" ? -Infinity : kind === "min" ? Infinity : 0,
  );
  const absSums = new Array<number>(n).fill(0);
  const indices = new Array<number>(n).fill(-1);
  const counts = new Array<number>(n).fill(0);
  const idx = new Array<number>(nd).fill(0);
  for (let k = 0; k < data.length; k++) {
    let o = 0, along = 0;
    for (let d = 0; d < nd; d++) {
      o = o * outFull[d] + (reduced.has(d) ? 0 : idx[d]);
      if (reduced.has(d)) along = along * shape[d] + idx[d];
    }
    const v = data[k];
    if (kind === "sum" || kind === "mean") {
      acc[o] += v;
      absSums[o] += Math.abs(v);
    } else if (!Number.isNaN(acc[o])) {
      if (
        Number.isNaN(v) || (kind === "max" ? v > acc[o] : v < acc[o]) ||
        indices[o] < 0
      ) {
        acc[o] = v;
        indices[o] = along;
      }
    }
    counts[o]++;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  if (kind === "mean") {
    for (let i = 0; i < n; i++) acc[i] /= counts[i];
  }
  return { shape: outShape, values: acc, indices, absSums };
}

/**
 * Sums may reassociate: allow float32 rounding of the result plus an error
 * proportional to the sum of magnitudes (2^-22 of it is far below what a
 * naive float32 loop gives on long rows, and what blocked sums stay within).
 */
function assertSumClose(
  got: Float32Array,
  ref: { values: number[]; absSums: number[] },
  what: string,
  scale = 1,
): void {
  assertEquals(got.length, ref.values.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const r = ref.values[i];
    const bound = 2 ** -23 * Math.abs(r) + 2 ** -22 * ref.absSums[i] / scale;
    assert(
      Math.abs(got[i] - r) <= bound,
      `${what}[${i}]: got ${got[i]}, expected ${r} (bound ${bound})`,
    );
  }
}

const LENGTHS = [0, 1, 3, 4, 5, 17, 1000];

// ---- whole-tensor reductions ----

Deno.test("sum / mean over everything, every length", () => {
  for (const n of LENGTHS) {
    const t = input([n]);
    const v = t.toFloat32Array();
    const s = t.sum();
    assertEquals(s.shape, []);
    assertSumClose(
      s.toFloat32Array(),
      reduceRef(v, [n], [0], "sum", false),
      `sum [${n}]`,
    );
    const m = t.mean();
    if (n === 0) assert(Number.isNaN(m.item()), "mean of nothing is nan");
    else {assertSumClose(
        m.toFloat32Array(),
        reduceRef(v, [n], [0], "mean", false),
        `mean [${n}]`,
        n,
      );}
  }
});

Deno.test("max / min / argmax / argmin over everything, every length", () => {
  for (const n of LENGTHS.slice(1)) {
    for (const shape of [[n], [2, n], [n, 3]]) {
      const t = input(shape);
      const v = t.toFloat32Array();
      const all = [...Array(shape.length).keys()];
      for (const kind of ["max", "min"] as const) {
        const ref = reduceRef(v, shape, all, kind, false);
        const got = kind === "max" ? t.max() : t.min();
        assertEquals(got.shape, []);
        assertEquals(got.item(), ref.values[0], `${kind} ${shape}`);
        const arg = kind === "max" ? t.argmax() : t.argmin();
        assertEquals(arg.shape, []);
        assertEquals(arg.item(), ref.indices[0], `arg${kind} ${shape}`);
        const argKeep = kind === "max"
          ? t.argmax(undefined, { keepdim: true })
          : t.argmin(undefined, { keepdim: true });
        assertEquals(argKeep.shape, shape.map(() => 1));
      }
    }
  }
});

// ---- reductions over dims ----

const DIM_CASES: [number[], (number | number[])[]][] = [
  [[3, 4, 5], [0, 1, 2, -1, [0, 1], [1, 2], [0, 2], [2, 0], [0, 1, 2], [
    -1,
    -3,
  ]]],
  [[2, 17, 3], [1, [0, 2], [0, 1]]],
  [[5, 1000], [0, 1]],
  [[1000, 5], [0, 1]],
  // columns summed 16, then 4, then 1 at a time; more rows than one
  // float32 block (64) of the strided sum
  [[70, 37], [0, 1]],
  [[3, 130, 19], [1, [0, 1]]],
  [[4, 1, 6, 2], [1, [1, 2], [0, 3], [0, 2], [1, 3]]],
  [[7], [0, [0]]],
  [[0, 3], [0, 1]],
  [[3, 0, 2], [1, [0, 2]]],
];

function sumOver(
  t: Tensor,
  dim: number | number[],
  keepdim: boolean,
  kind: "sum" | "mean",
): Tensor {
  return kind === "sum" ? t.sum(dim, { keepdim }) : t.mean(dim, { keepdim });
}

Deno.test("sum / mean over one, adjacent and non-adjacent dims, keepdim", () => {
  for (const [shape, dimsList] of DIM_CASES) {
    for (const transposed of [false, true]) {
      // the same logical tensor, contiguous or read through a permutation
      const t = transposed && shape.length >= 2
        ? input([...shape].reverse()).permute(
          [...Array(shape.length).keys()].reverse(),
        )
        : input(shape);
      const v = t.toFloat32Array();
      for (const dims of dimsList) {
        const list = typeof dims === "number" ? [dims] : dims;
        for (const keepdim of [false, true]) {
          for (const kind of ["sum", "mean"] as const) {
            const ref = reduceRef(v, shape, list, kind, keepdim);
            const out = sumOver(t, dims, keepdim, kind);
            const what = `${kind}(${
              JSON.stringify(dims)
            }, keepdim ${keepdim}) of ${
              transposed ? "permuted " : ""
            }[${shape}]`;
            assertEquals(out.shape, ref.shape, `${what}: shape`);
            const r = list.reduce(
              (p, d) => p * shape[d < 0 ? d + shape.length : d],
              1,
            );
            if (kind === "mean" && r === 0) {
              assert(out.toFloat32Array().every(Number.isNaN), `${what}: nan`);
            } else {
              assertSumClose(
                out.toFloat32Array(),
                ref,
                what,
                kind === "mean" ? r : 1,
              );
            }
          }
        }
      }
    }
  }
});

Deno.test("max / min / argmax / argmin over a dim, keepdim", () => {
  for (
    const shape of [[3, 4, 5], [2, 17, 3], [5, 1000], [1000, 5], [4, 1, 6], [9]]
  ) {
    const t = input(shape);
    const v = t.toFloat32Array();
    for (let dim = -shape.length; dim < shape.length; dim++) {
      for (const keepdim of [false, true]) {
        for (const kind of ["max", "min"] as const) {
          const ref = reduceRef(v, shape, [dim], kind, keepdim);
          const what = `${kind}(${dim}, keepdim ${keepdim}) of [${shape}]`;
          const r = kind === "max"
            ? t.max(dim, { keepdim })
            : t.min(dim, { keepdim });
          assertEquals(r.values.shape, ref.shape, `${what}: shape`);
          assertEquals(r.indices.shape, ref.shape, `${what}: indices shape`);
          assertEquals([...r.values.toFloat32Array()], ref.values, what);
          assertEquals(
            [...r.indices.toFloat32Array()],
            ref.indices,
            `${what}: indices`,
          );
          const arg = kind === "max"
            ? t.argmax(dim, { keepdim })
            : t.argmin(dim, { keepdim });
          assertEquals(arg.shape, ref.shape);
          assertEquals([...arg.toFloat32Array()], ref.indices, `arg ${what}`);
        }
      }
    }
  }
});

Deno.test("reductions of non-contiguous and broadcast (stride 0) inputs", () => {
  const base = input([6, 1, 5]);
  const views: [string, Tensor][] = [
    ["expanded", base.expand(6, 4, 5)],
    ["expanded and permuted", base.expand(6, 4, 5).permute(2, 0, 1)],
    ["transposed", input([5, 7]).t()],
    ["0-d expanded", input([]).expand(3, 17)],
  ];
  for (const [name, t] of views) {
    const v = t.toFloat32Array();
    const shape = t.shape;
    const all = [...shape.keys()];
    assertSumClose(
      t.sum().toFloat32Array(),
      reduceRef(v, shape, all, "sum", false),
      `${name} sum`,
    );
    for (let d = 0; d < shape.length; d++) {
      assertSumClose(
        t.sum(d).toFloat32Array(),
        reduceRef(v, shape, [d], "sum", false),
        `${name} sum(${d})`,
      );
      const ref = reduceRef(v, shape, [d], "max", false);
      const r = t.max(d);
      assertEquals(
        [...r.values.toFloat32Array()],
        ref.values,
        `${name} max(${d})`,
      );
      assertEquals(
        [...r.indices.toFloat32Array()],
        ref.indices,
        `${name} max(${d}) indices`,
      );
    }
    const mn = reduceRef(v, shape, all, "min", false);
    assertEquals(t.min().item(), mn.values[0], `${name} min`);
    assertEquals(t.argmin().item(), mn.indices[0], `${name} argmin`);
  }
});

Deno.test("0-d reductions", () => {
  const s = tensor(-2.5);
  assertEquals(s.sum().item(), -2.5);
  assertEquals(s.sum(0).shape, []);
  assertEquals(s.mean(-1).item(), -2.5);
  assertEquals(s.max().item(), -2.5);
  assertEquals(s.max(0).values.item(), -2.5);
  assertEquals(s.max(0).indices.item(), 0);
  assertEquals(s.argmin().item(), 0);
  assertEquals(s.sum(0, { keepdim: true }).shape, []);
});

// ---- NaN and ties ----

Deno.test("max / min: NaN propagates and wins; its first index is returned", () => {
  // positions and lengths that put the NaN in the SIMD body and in the tail
  for (const n of [1, 3, 4, 5, 17, 1000]) {
    for (const at of new Set([0, Math.floor(n / 2), n - 1])) {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = random();
      data[at] = NaN;
      if (at + 2 < n) data[at + 2] = NaN; // a later NaN must not move the index
      const t = tensor(data);
      for (const kind of ["max", "min"] as const) {
        const what = `${kind} [${n}] NaN at ${at}`;
        assert(Number.isNaN((kind === "max" ? t.max() : t.min()).item()), what);
        assertEquals(
          (kind === "max" ? t.argmax() : t.argmin()).item(),
          at,
          `arg ${what}`,
        );
        const r = kind === "max" ? t.max(0) : t.min(0);
        assert(Number.isNaN(r.values.item()), `${what} (dim)`);
        assertEquals(r.indices.item(), at, `${what} (dim) index`);
        // along a non-last dim: columns of a [n, 6] matrix, NaN in column 2
        const m = tensor(new Float32Array(n * 6).map(() => random()), {
          shape: [n, 6],
        });
        const mv = m.toFloat32Array();
        mv[at * 6 + 2] = NaN;
        const mt = tensor(mv, { shape: [n, 6] });
        const c = kind === "max" ? mt.max(0) : mt.min(0);
        const cv = c.values.toFloat32Array(), ci = c.indices.toFloat32Array();
        assert(Number.isNaN(cv[2]), `${what}: column`);
        assertEquals(ci[2], at, `${what}: column index`);
        for (const j of [0, 1, 3, 4, 5]) {
          assert(!Number.isNaN(cv[j]), `${what}: other columns`);
        }
        assertEquals(
          (kind === "max" ? mt.argmax(0) : mt.argmin(0)).toFloat32Array()[2],
          at,
        );
      }
    }
  }
  // sums and means of NaN are NaN
  assert(Number.isNaN(tensor([1, NaN, 2]).sum().item()));
  assert(
    Number.isNaN(
      tensor(
        new Float32Array(1000).fill(1).map((v, i) => (i === 999 ? NaN : v)),
      ).mean().item(),
    ),
  );
});

Deno.test("max / min: ties return the first index", () => {
  for (const n of [2, 3, 4, 5, 17, 1000]) {
    const data = new Float32Array(n).fill(1);
    const t = tensor(data);
    assertEquals(t.argmax().item(), 0, `argmax all equal [${n}]`);
    assertEquals(t.argmin().item(), 0, `argmin all equal [${n}]`);
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = i % 3; // maxima at 2, 5, ...; minima at 0, 3, ...
    const u = tensor(d);
    if (n > 2) assertEquals(u.argmax().item(), 2, `argmax [${n}]`);
    assertEquals(u.argmin().item(), 0, `argmin [${n}]`);
    const m = tensor(new Float32Array(n * 5).fill(3), { shape: [n, 5] });
    assertEquals([...m.max(0).indices.toFloat32Array()], [0, 0, 0, 0, 0]);
    assertEquals([...m.min(1).indices.toFloat32Array()], new Array(n).fill(0));
  }
  // infinities are ordinary values
  const inf = tensor([-Infinity, 3, Infinity, Infinity]);
  assertEquals(inf.max().item(), Infinity);
  assertEquals(inf.argmax().item(), 2);
  assertEquals(inf.argmin().item(), 0);
});

// ---- accuracy ----

/** float64 sum of the values in order. */
function f64Sum(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}

Deno.test("sums over 1e6 elements are accurate (any layout)", () => {
  const n = 1_000_000;
  // positive values: a naive float32 loop would be off by ~1e-3 relative
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = random();
  const t = tensor(data);
  const exact = f64Sum(data);
  // within 1e-6 relative (float32 rounding of the total alone is 6e-8)
  const rel = (x: number, r: number) => Math.abs(x - r) / Math.abs(r);
  assert(
    rel(t.sum().item(), exact) < 1e-6,
    `sum: ${t.sum().item()} vs ${exact}`,
  );
  assert(rel(t.mean().item(), exact / n) < 1e-6, "mean");
  // along a non-last dim: columns of [n/4, 4] and [n/2, 2] (strided rows)
  for (const cols of [4, 2, 5]) {
    const rows = Math.floor(n / cols);
    const m = tensor(data.subarray(0, rows * cols), { shape: [rows, cols] });
    const got = m.sum(0).toFloat32Array();
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += data[i * cols + j];
      assert(
        rel(got[j], s) < 1e-6,
        `sum(0) of [${rows}, ${cols}] column ${j}: ${got[j]} vs ${s}`,
      );
    }
    const tr = m.t().sum(1).toFloat32Array(); // the same sums through a transposed view
    for (let j = 0; j < cols; j++) assert(rel(tr[j], got[j]) < 1e-6);
  }
  // a mixed-sign sum with cancellation, relative to the sum of magnitudes
  const mixed = new Float32Array(n);
  for (let i = 0; i < n; i++) mixed[i] = (random() - 0.5) * 1000;
  let abs = 0;
  for (const v of mixed) abs += Math.abs(v);
  const ms = tensor(mixed).sum().item();
  assert(
    Math.abs(ms - f64Sum(mixed)) < 1e-7 * abs,
    `mixed sum: ${ms} vs ${f64Sum(mixed)}`,
  );
  // 1e6 ones sum exactly
  assertEquals(tensor(new Float32Array(n).fill(1)).sum().item(), n);
  assertEquals(
    tensor(new Float32Array(n).fill(1), { shape: [n / 8, 8] }).sum(0)
      .toFloat32Array()[7],
    n / 8,
  );
});
