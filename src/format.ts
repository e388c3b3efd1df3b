/**
 * Prints tensors the way PyTorch does (torch/_tensor_str.py): integer mode
 * `1.` when every value is whole, fixed `1.2346` with 4 decimals, or
 * scientific `1.2346e+05` when the magnitudes call for it; columns padded to
 * one width; rows wrapped at 80 characters; large tensors summarized;
 * suffixes such as `gradFn=<...>` moved to a new line when they would pass
 * column 80.
 *
 * @module
 */

const PRECISION = 4;
const LINE_WIDTH = 80;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

type Mode = "int" | "fixed" | "sci";

interface Formatter {
  mode: Mode;
  /** Column width: that of the widest nonzero finite value. */
  width: number;
}

// As torch's _Formatter, the mode and the width come from the nonzero finite
// values only: zeros, nan and inf neither choose the mode nor widen columns.
function makeFormatter(values: Float32Array): Formatter {
  let intMode = true, any = false;
  let max = 0, min = Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || v === 0) continue;
    any = true;
    if (v !== Math.ceil(v)) intMode = false;
    const a = Math.abs(v);
    if (a > max) max = a;
    if (a < min) min = a;
  }
  if (!any) return { mode: "int", width: 1 };
  const sci = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
  const mode: Mode = sci ? "sci" : intMode ? "int" : "fixed";
  let width = 1;
  for (const v of values) {
    if (Number.isFinite(v) && v !== 0) {
      width = Math.max(width, formatValue(v, mode).length);
    }
  }
  return { mode, width };
}

function formatValue(v: number, mode: Mode): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  // Python keeps the sign of -0.0 ('-0.0000'); toFixed drops it
  if (Object.is(v, -0)) return "-" + formatValue(0, mode);
  if (mode === "int") return `${v.toFixed(0)}.`;
  if (mode === "fixed") {
    return roundTieToEven(v.toFixed(PRECISION), v, PRECISION);
  }
  const [m, e] = v.toExponential(PRECISION).split("e");
  const exp = Number(e);
  const mantissa = roundTieToEven(m, v, PRECISION - exp);
  const digits = String(Math.abs(exp)).padStart(2, "0");
  return `${mantissa}e${exp < 0 ? "-" : "+"}${digits}`;
}

/**
 * Python rounds a value exactly halfway between two outputs to the even one
 * ('{:.4f}'.format(0.03125) is '0.0312'); toFixed/toExponential round it
 * away from zero. `text` is v rounded at 10^-scale; this lowers its last
 * digit when that digit is odd and v was such a tie (an odd digit never
 * borrows).
 */
function roundTieToEven(text: string, v: number, scale: number): string {
  const digit = text.charCodeAt(text.length - 1) - 48;
  if (digit % 2 === 0 || !isTie(v, scale)) return text;
  return text.slice(0, -1) + String(digit - 1);
}

/**
 * Whether v * 10^scale is exactly an integer plus one half. With v = m * 2^e
 * (m an odd integer), 2 v 10^scale = m 5^scale 2^(e + 1 + scale), an odd
 * integer exactly when e + 1 + scale = 0 and m 5^scale is an odd integer.
 */
function isTie(v: number, scale: number): boolean {
  let m = Math.abs(v), e = 0;
  if (m === 0 || !Number.isFinite(m)) return false;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  while (m % 2 === 0) {
    m /= 2;
    e++;
  }
  if (e + 1 + scale !== 0) return false;
  return scale >= 0 || m % 5 ** -scale === 0;
}

/**
 * Renders data of `shape` as `tensor(...)`. `suffix` holds the extra fields
 * (such as `", requiresGrad=true"`), each after `", "`.
 */
export function formatTensor(
  data: Float32Array,
  shape: readonly number[],
  suffix = "",
): string {
  const prefix = "tensor(";
  const suffixes = suffix.split(", ").filter((s) => s !== "");
  let body: string;
  if (data.length === 0) {
    body = "[]";
    if (shape.length !== 1) suffixes.unshift(`size=(${shape.join(", ")})`);
  } else {
    const summarize = data.length > THRESHOLD;
    const fmt = makeFormatter(
      summarize ? summarizedValues(data, shape) : data,
    );
    body = shape.length === 0
      ? formatValue(data[0], fmt.mode).padStart(fmt.width)
      : render(data, shape, 0, 0, prefix.length, fmt, summarize);
  }
  return addSuffixes(prefix + body, suffixes, prefix.length);
}

// torch's _add_suffixes, including its count of the last line's length
function addSuffixes(text: string, suffixes: string[], indent: number): string {
  const parts = [text];
  let lastLine = text.length - text.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > LINE_WIDTH) {
      parts.push(",\n" + " ".repeat(indent) + s);
      lastLine = indent + s.length;
    } else {
      parts.push(", " + s);
      lastLine += s.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

/** The values printing shows (the edges of every dim), which set the format. */
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
  fmt: Formatter,
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
    // torch's " ..." item: the ellipsis of a row takes a column's separator
    const items = indices.map((i) =>
      i === null
        ? " ..."
        : formatValue(data[offset + i], fmt.mode).padStart(fmt.width)
    );
    const perLine = Math.max(
      1,
      Math.floor((LINE_WIDTH - indent) / (fmt.width + 2)),
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
      fmt,
      summarize,
    )
  );
  return `[${parts.join(sep)}]`;
}
