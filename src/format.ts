/**
 * Prints tensors the way PyTorch does (torch/_tensor_str.py): integer mode
 * `1.` when every value is whole, fixed `1.2346` with 4 decimals, or
 * scientific `1.2346e+05` when the magnitudes call for it; columns padded to
 * one width; rows wrapped at 80 characters; large tensors summarized.
 *
 * @module
 */

const PRECISION = 4;
const LINE_WIDTH = 80;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

type Mode = "int" | "fixed" | "sci";

function chooseMode(values: Float32Array): Mode {
  const finite: number[] = [];
  for (const v of values) {
    if (Number.isFinite(v) && v !== 0) finite.push(Math.abs(v));
  }
  if (finite.length === 0) return "int";
  let intMode = true;
  for (const v of finite) {
    if (v !== Math.round(v)) {
      intMode = false;
      break;
    }
  }
  const max = Math.max(...finite), min = Math.min(...finite);
  if (intMode) return max > 1e8 ? "sci" : "int";
  if (max / min > 1000 || max > 1e8 || min < 1e-4) return "sci";
  return "fixed";
}

function formatValue(v: number, mode: Mode): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (mode === "int") return `${Object.is(v, -0) ? "-0" : v.toFixed(0)}.`;
  if (mode === "fixed") return v.toFixed(PRECISION);
  const [m, e] = v.toExponential(PRECISION).split("e");
  const exp = Number(e);
  return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** Renders data of `shape` as `tensor(...)`, with `suffix` before the `)`. */
export function formatTensor(
  data: Float32Array,
  shape: readonly number[],
  suffix = "",
): string {
  const summarize = data.length > THRESHOLD;
  const shown = summarize ? summarizedValues(data, shape) : data;
  const mode = chooseMode(shown);
  let width = 0;
  for (const v of shown) width = Math.max(width, formatValue(v, mode).length);
  const prefix = "tensor(";
  let body: string;
  if (shape.length === 0) {
    body = formatValue(data[0], mode);
  } else if (data.length === 0) {
    body = "[]";
    if (shape.length > 1 || shape[0] !== 0) {
      suffix = `, size=(${shape.join(", ")}${shape.length === 1 ? "," : ""})` +
        suffix;
    }
  } else {
    body = render(data, shape, 0, 0, prefix.length, width, mode, summarize);
  }
  return `${prefix}${body}${suffix})`;
}

function summarizedValues(
  data: Float32Array,
  shape: readonly number[],
): Float32Array {
  const out: number[] = [];
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const walk = (d: number, off: number): void => {
    if (d === shape.length) {
      out.push(data[off]);
      return;
    }
    const n = shape[d];
    for (let i = 0; i < n; i++) {
      if (n > 2 * EDGE_ITEMS && i === EDGE_ITEMS) i = n - EDGE_ITEMS;
      walk(d + 1, off + i * strides[d]);
    }
  };
  walk(0, 0);
  return Float32Array.from(out);
}

function render(
  data: Float32Array,
  shape: readonly number[],
  d: number,
  offset: number,
  indent: number,
  width: number,
  mode: Mode,
  summarize: boolean,
): string {
  const n = shape[d];
  let stride = 1;
  for (let i = d + 1; i < shape.length; i++) stride *= shape[i];
  const indices: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (summarize && n > 2 * EDGE_ITEMS && i === EDGE_ITEMS) {
      indices.push(null);
      i = n - EDGE_ITEMS - 1;
      continue;
    }
    indices.push(i);
  }
  if (d === shape.length - 1) {
    const items = indices.map((i) =>
      i === null ? "..." : formatValue(data[offset + i], mode).padStart(width)
    );
    // wrap so that each line fits LINE_WIDTH
    const perLine = Math.max(
      1,
      Math.floor((LINE_WIDTH - indent - 1) / (width + 2)),
    );
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) {
      lines.push(items.slice(i, i + perLine).join(", "));
    }
    return `[${lines.join(",\n" + " ".repeat(indent + 1))}]`;
  }
  const sep = "," + "\n".repeat(shape.length - d - 1) + " ".repeat(indent + 1);
  const parts = indices.map((i) =>
    i === null ? "..." : render(
      data,
      shape,
      d + 1,
      offset + i * stride,
      indent + 1,
      width,
      mode,
      summarize,
    )
  );
  return `[${parts.join(sep)}]`;
}
