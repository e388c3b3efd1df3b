// Matmul against a float64 reference computed here, through the public API:
// every m, n, k combination over sizes that straddle the 5 x 8 register tile
// and the blocking (1..130, plus large shapes past the 256-deep and
// 256-wide blocks), and operands in every layout the kernel sees: plain,
// transposed (A^T and B^T views, as backward uses), permuted (no unit
// stride), expanded with stride 0, batched with broadcast batch dims, and
// 1-D vectors. Very small outputs are computed in JavaScript, not by the
// wasm kernel; the sizes here reach both.
//
// Inputs are float32, so the reference is the float64 product of the same
// float32 values. A float32 sum of k terms differs from it by float32
// rounding noise, which grows like sqrt(k) times the size of the terms: the
// bound is 1e-5 relative plus 1e-6 * sqrt(k) * sum |a_ip * b_pj| (the
// observed error is below a fifth of that; a wrong or missing term is far
// larger).
import {
  full,
  memoryStats,
  setMemoryBudget,
  type Tensor,
  tensor,
} from "../../mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { seededRandom } from "../support/random.ts";

// ---- test data: a seeded generator, independent of the library's ----

const random = seededRandom(0x6a09e667);

/** n float32 values uniform in [-1, 1). */
function uniform(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * random() - 1;
  return out;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = step;
    step *= shape[d];
  }
  return s;
}

// ---- operands: a tensor view and, independently, where its values live ----

/** A tensor plus the element layout it must have (computed here). */
interface Operand {
  t: Tensor;
  data: Float32Array;
  shape: number[];
  strides: number[];
}

function at(x: Operand, idx: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < idx.length; d++) o += idx[d] * x.strides[d];
  return x.data[o];
}

/** A contiguous tensor of `shape` with random values. */
function plain(shape: number[]): Operand {
  const data = uniform(size(shape));
  return {
    t: tensor(data, { shape }),
    data,
    shape,
    strides: contiguousStrides(shape),
  };
}

/** A [..., r, c] operand built as a contiguous [..., c, r] one, transposed. */
function transposed(shape: number[]): Operand {
  const nd = shape.length;
  const src = [...shape.slice(0, -2), shape[nd - 1], shape[nd - 2]];
  const p = plain(src);
  const strides = [...p.strides];
  [strides[nd - 2], strides[nd - 1]] = [strides[nd - 1], strides[nd - 2]];
  return { t: p.t.transpose(-2, -1), data: p.data, shape, strides };
}

/** `src` permuted by `dims` (shape and strides follow the permutation). */
function permuted(src: Operand, dims: number[]): Operand {
  return {
    t: src.t.permute(...dims),
    data: src.data,
    shape: dims.map((d) => src.shape[d]),
    strides: dims.map((d) => src.strides[d]),
  };
}

/** `src` (with size-1 dims) expanded to `shape`: stride 0 on those dims. */
function expanded(src: Operand, shape: number[]): Operand {
  return {
    t: src.t.expand(shape),
    data: src.data,
    shape,
    strides: shape.map((
      d,
      i,
    ) => (src.shape[i] === 1 && d !== 1 ? 0 : src.strides[i])),
  };
}

/** A 2-D [r, c] operand in one of the layouts the kernel distinguishes. */
function matrix(r: number, c: number, layout: "plain" | "t"): Operand {
  return layout === "plain" ? plain([r, c]) : transposed([r, c]);
}

// ---- the reference: torch.matmul's rules, in float64 ----

interface Reference {
  shape: number[];
  value: Float64Array;
  /** sum over p of |a_ip * b_pj|, the scale of the rounding noise */
  scale: Float64Array;
  k: number;
}

function reference(a: Operand, b: Operand): Reference {
  // 1-D operands become [1, k] and [k, 1], and their dim is dropped after.
  const A = a.shape.length === 1
    ? { ...a, shape: [1, a.shape[0]], strides: [0, a.strides[0]] }
    : a;
  const B = b.shape.length === 1
    ? { ...b, shape: [b.shape[0], 1], strides: [b.strides[0], 0] }
    : b;
  const ra = A.shape.length, rb = B.shape.length;
  const m = A.shape[ra - 2], k = A.shape[ra - 1], n = B.shape[rb - 1];
  const ba = A.shape.slice(0, -2), bb = B.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const pa = [...Array(nb - ba.length).fill(1), ...ba];
  const pb = [...Array(nb - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const count = size(batch);
  const value = new Float64Array(count * m * n);
  const scale = new Float64Array(count * m * n);
  const bi = new Array<number>(nb).fill(0);
  for (let t = 0; t < count; t++) {
    const ia = bi.slice(nb - ba.length).map((v, d) => (ba[d] === 1 ? 0 : v));
    const ib = bi.slice(nb - bb.length).map((v, d) => (bb[d] === 1 ? 0 : v));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0, sa = 0;
        for (let p = 0; p < k; p++) {
          const prod = at(A, [...ia, i, p]) * at(B, [...ib, p, j]);
          s += prod;
          sa += Math.abs(prod);
        }
        value[(t * m + i) * n + j] = s;
        scale[(t * m + i) * n + j] = sa;
      }
    }
    for (let d = nb - 1; d >= 0; d--) {
      if (++bi[d] < batch[d]) break;
      bi[d] = 0;
    }
  }
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(m);
  if (b.shape.length > 1) shape.push(n);
  return { shape, value, scale, k };
}

/** A 2-D reference without index arrays, for the many-shape sweeps. */
function reference2d(a: Operand, b: Operand): Reference {
  const [m, k] = a.shape, n = b.shape[1];
  const [ra, ca] = a.strides, [rb, cb] = b.strides;
  const value = new Float64Array(m * n), scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, sa = 0;
      for (let p = 0; p < k; p++) {
        const prod = a.data[i * ra + p * ca] * b.data[p * rb + j * cb];
        s += prod;
        sa += Math.abs(prod);
      }
      value[i * n + j] = s;
      scale[i * n + j] = sa;
    }
  }
  return { shape: [m, n], value, scale, k };
}

function assertMatmul(out: Tensor, ref: Reference, what: string): void {
  assertEquals(out.shape, ref.shape, `${what}: shape`);
  const got = out.toFloat32Array();
  assertEquals(got.length, ref.value.length, `${what}: length`);
  const noise = 1e-6 * Math.sqrt(ref.k);
  for (let i = 0; i < got.length; i++) {
    const g = got[i], r = ref.value[i];
    if (!Number.isFinite(r)) {
      assert(
        g === r || (Number.isNaN(g) && Number.isNaN(r)),
        `${what}[${i}]: got ${g}, expected ${r}`,
      );
      continue;
    }
    const tol = 1e-5 * Math.abs(r) + noise * ref.scale[i];
    assert(
      Math.abs(g - r) <= tol,
      `${what}[${i}]: got ${g}, expected ${r} (tolerance ${tol})`,
    );
  }
}

function check(a: Operand, b: Operand, what: string): void {
  const ref = a.shape.length === 2 && b.shape.length === 2
    ? reference2d(a, b)
    : reference(a, b);
  assertMatmul(a.t.matmul(b.t), ref, what);
}

/**
 * A test whose outputs land on reused, NaN-filled memory: a small budget
 * makes the allocator recycle the working area, so a kernel that reads an
 * output before writing it fails here instead of seeing fresh zeros.
 */
function matmulTest(name: string, fn: () => void): void {
  Deno.test(name, () => {
    const before = memoryStats().budgetBytes;
    setMemoryBudget(8 << 20);
    try {
      for (let i = 0; i < 12; i++) full([1 << 18], NaN).add(1);
      fn();
    } finally {
      setMemoryBudget(before);
    }
  });
}

// ---- shapes ----

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 64, 65, 100, 130];

matmulTest("matmul: every m, n, k in 1..130 matches float64", () => {
  for (const m of SIZES) {
    for (const n of SIZES) {
      for (const k of SIZES) {
        check(plain([m, k]), plain([k, n]), `${m}x${k} @ ${k}x${n}`);
      }
    }
  }
});

matmulTest("matmul: transposed operands (A^T, B^T, both)", () => {
  const sizes = [1, 3, 4, 5, 8, 9, 17, 33, 65, 130];
  const layouts = [["t", "plain"], ["plain", "t"], ["t", "t"]] as const;
  for (const m of sizes) {
    for (const n of sizes) {
      for (const k of sizes) {
        for (const [la, lb] of layouts) {
          check(
            matrix(m, k, la),
            matrix(k, n, lb),
            `${m}x${k} (${la}) @ ${k}x${n} (${lb})`,
          );
        }
      }
    }
  }
});

matmulTest("matmul: expanded operands (stride 0 rows or columns)", () => {
  for (const [m, n, k] of [[1, 5, 3], [7, 9, 17], [33, 20, 65], [130, 17, 9]]) {
    // A's rows all alike, B's columns all alike
    check(
      expanded(plain([1, k]), [m, k]),
      expanded(plain([k, 1]), [k, n]),
      `${m}x${k} @ ${k}x${n}, rows/cols expanded`,
    );
    // A's columns all alike (stride 1 down, 0 across), B's rows all alike
    check(
      expanded(plain([m, 1]), [m, k]),
      expanded(plain([1, n]), [k, n]),
      `${m}x${k} @ ${k}x${n}, cols/rows expanded`,
    );
    check(
      plain([m, k]),
      expanded(plain([1, n]), [k, n]),
      `${m}x${k} @ ${k}x${n}, B rows expanded`,
    );
  }
});

matmulTest("matmul: permuted operands with no unit stride", () => {
  for (const [m, n, k] of [[5, 3, 4], [17, 9, 33], [65, 31, 100]]) {
    // The matrix dims come from the outer dims of a contiguous
    // [k, m, 2, 3], so both of their strides exceed 1.
    const a = permuted(plain([k, m, 2, 3]), [2, 3, 1, 0]);
    const b = permuted(plain([n, k, 2, 3]), [2, 3, 1, 0]);
    assert(a.strides[2] !== 1 && a.strides[3] !== 1, "A has no unit stride");
    assert(b.strides[2] !== 1 && b.strides[3] !== 1, "B has no unit stride");
    check(a, b, `[2,3,${m},${k}] @ [2,3,${k},${n}], permuted`);
    // row stride 3k: the rows of an [m, 3, k] tensor, batch dim in front
    const c = permuted(plain([m, 3, k]), [1, 0, 2]);
    check(c, b, `[3,${m},${k}] rows of a wider tensor @ permuted`);
  }
});

matmulTest("matmul: batched, with broadcast batch dims", () => {
  for (const [m, n, k] of [[3, 4, 2], [9, 17, 8], [33, 16, 65]]) {
    check(plain([4, m, k]), plain([4, k, n]), `[4] batch ${m}x${k}x${n}`);
    check(plain([4, m, k]), plain([k, n]), `[4] @ 2-D ${m}x${k}x${n}`);
    check(plain([m, k]), plain([3, k, n]), `2-D @ [3] ${m}x${k}x${n}`);
    check(
      plain([2, 1, m, k]),
      plain([3, k, n]),
      `[2,1] @ [3] ${m}x${k}x${n}`,
    );
    check(
      expanded(plain([1, m, k]), [5, m, k]),
      transposed([5, k, n]),
      `expanded batch @ transposed ${m}x${k}x${n}`,
    );
  }
});

matmulTest("matmul: 1-D operands (vector-matrix, matrix-vector, dot)", () => {
  for (
    const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 33, 64], [130, 100, 513]]
  ) {
    check(plain([k]), plain([k, n]), `[${k}] @ ${k}x${n}`);
    check(plain([k]), transposed([k, n]), `[${k}] @ ${k}x${n} (t)`);
    check(plain([m, k]), plain([k]), `${m}x${k} @ [${k}]`);
    check(transposed([m, k]), plain([k]), `${m}x${k} (t) @ [${k}]`);
    check(plain([k]), plain([k]), `[${k}] @ [${k}]`);
    check(plain([2, m, k]), plain([k]), `[2,${m},${k}] @ [${k}]`);
    check(plain([k]), plain([3, k, n]), `[${k}] @ [3,${k},${n}]`);
  }
});

matmulTest("matmul: thin shapes in every layout (matrix-vector paths)", () => {
  const layouts = ["plain", "t"] as const;
  for (const t of [1, 2, 3, 4]) {
    for (const [big, k] of [[37, 29], [300, 513]]) {
      for (const la of layouts) {
        for (const lb of layouts) {
          check(
            matrix(t, k, la),
            matrix(k, big, lb),
            `${t}x${k} (${la}) @ ${k}x${big} (${lb})`,
          );
          check(
            matrix(big, k, la),
            matrix(k, t, lb),
            `${big}x${k} (${la}) @ ${k}x${t} (${lb})`,
          );
        }
      }
    }
  }
});

matmulTest("matmul: large shapes cross the cache blocks", () => {
  const layouts = [["plain", "plain"], ["t", "plain"], ["plain", "t"], [
    "t",
    "t",
  ]] as const;
  for (const [la, lb] of layouts) {
    check(
      matrix(300, 513, la),
      matrix(513, 257, lb),
      `300x513 (${la}) @ 513x257 (${lb})`,
    );
  }
  check(plain([129, 300]), plain([300, 600]), "129x300 @ 300x600");
  check(plain([520, 70]), transposed([70, 513]), "520x70 @ 70x513 (t)");
  check(plain([1, 1000]), plain([1000, 600]), "1x1000 @ 1000x600");
  check(transposed([600, 1000]), plain([1000, 1]), "600x1000 (t) @ 1000x1");
});

matmulTest("matmul: inner dimension 0 gives zeros", () => {
  const out = tensor(new Float32Array(0), { shape: [3, 0] }).matmul(
    tensor(new Float32Array(0), { shape: [0, 5] }),
  );
  assertEquals(out.shape, [3, 5]);
  assertEquals([...out.toFloat32Array()], new Array(15).fill(0));
});

matmulTest("matmul: inf and NaN reach exactly the outputs they feed", () => {
  // Padding in the kernel multiplies zeros with real values; a NaN or inf
  // must still only reach row i0 (from A) and column j0 (from B).
  for (const [m, n, k] of [[5, 6, 7], [33, 17, 65], [130, 300, 257]]) {
    for (const special of [Infinity, -Infinity, NaN]) {
      const a = plain([m, k]), b = transposed([k, n]);
      const i0 = m - 1, p0 = k >> 1, j0 = n >> 1;
      a.data[i0 * k + p0] = special;
      b.data[j0 * k + p0] = special;
      // rebuild the tensors from the edited data
      const ta = tensor(a.data, { shape: [m, k] });
      const tb = tensor(b.data, { shape: [n, k] }).t();
      const ref = reference2d(a, b);
      assertMatmul(ta.matmul(tb), ref, `${m}x${k}x${n} with ${special}`);
      const bad = ref.value.filter((v) => !Number.isFinite(v)).length;
      assertEquals(bad, m + n - 1, "the reference itself spreads specials");
    }
  }
});

matmulTest(
  "matmul: gradients through the transposed views match float64",
  () => {
    for (const [m, n, k] of [[5, 3, 4], [33, 17, 65], [100, 130, 31]]) {
      const a = plain([m, k]), b = plain([k, n]), w = plain([m, n]);
      const ta = tensor(a.data, { shape: [m, k], requiresGrad: true });
      const tb = tensor(b.data, { shape: [k, n], requiresGrad: true });
      ta.matmul(tb).mul(w.t).sum().backward();
      // dA = W . B^T and dB = A^T . W, from the same float32 values
      const bT: Operand = { ...b, shape: [n, k], strides: [1, n] };
      const aT: Operand = { ...a, shape: [k, m], strides: [1, k] };
      assertMatmul(ta.grad!, reference2d(w, bT), `dA ${m}x${k}x${n}`);
      assertMatmul(tb.grad!, reference2d(aT, w), `dB ${m}x${k}x${n}`);
    }
  },
);
