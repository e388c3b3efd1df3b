/**
 * A small line-chart writer for the examples: standalone SVG text (axes,
 * ticks, labels, one polyline per series, a legend), so training curves can
 * be looked at in any browser without plotting libraries.
 *
 * @example
 * ```ts
 * import { lineChart } from "./_svg.ts";
 * const svg = lineChart({
 *   title: "loss",
 *   xLabel: "epoch",
 *   yLabel: "MSE",
 *   logY: true,
 *   series: [{ name: "SGD", points: [[0, 10], [1, 3], [2, 0.5]] }],
 * });
 * console.log(svg.startsWith("<svg")); // true
 * ```
 *
 * @module
 */

/** One named line of a chart. */
export interface Series {
  /** Shown in the legend. */
  name: string;
  /** `[x, y]` pairs in drawing order; non-finite ones are skipped. */
  points: readonly (readonly [number, number])[];
}

/** Options of `lineChart()`. */
export interface LineChartOptions {
  /** The lines to draw, each in its own color. */
  series: readonly Series[];
  /** Text above the plot. */
  title?: string;
  /** Label of the horizontal axis. */
  xLabel?: string;
  /** Label of the vertical axis. */
  yLabel?: string;
  /** Logarithmic y axis; points with y <= 0 are skipped (default false). */
  logY?: boolean;
  /** Width in pixels (default 720). */
  width?: number;
  /** Height in pixels (default 440). */
  height?: number;
}

// Tableau 10: distinct and readable on white; more series get spread hues.
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

function color(i: number): string {
  if (i < PALETTE.length) return PALETTE[i];
  return `hsl(${((i - PALETTE.length) * 137.508 + 15) % 360}, 65%, 40%)`;
}

/** Escapes text for XML; characters XML 1.0 cannot hold become U+FFFD. */
export function escapeXml(text: string): string {
  return text
    .replace(
      /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu,
      "\uFFFD",
    )
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A 1-D scale: data -> [0, 1], plus its ticks (positions in [0, 1]). */
interface Scale {
  at(v: number): number;
  ticks: { at: number; label: string }[];
}

// Halves keep differences of values near ±MAX_VALUE finite.
function fraction(v: number, lo: number, hi: number): number {
  return (v / 2 - lo / 2) / (hi / 2 - lo / 2);
}

function linearScale(min: number, max: number): Scale {
  let lo = min, hi = max;
  const mid = Math.abs(lo / 2 + hi / 2);
  // A span lost in rounding noise gets a readable window around the value.
  if (!(hi / 2 - lo / 2 > mid * 1e-9)) {
    const pad = mid === 0 ? 1 : mid * 0.1;
    lo = mid === 0 ? -1 : lo - pad;
    hi = mid === 0 ? 1 : hi + pad;
  }
  const raw = (hi / 2 - lo / 2) / 2.5; // about five intervals
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
  const first = Math.ceil(lo / step), last = Math.floor(hi / step);
  const niceLo = first * step > lo ? (first - 1) * step : first * step;
  const niceHi = last * step < hi ? (last + 1) * step : last * step;
  if (Number.isFinite(niceLo) && Number.isFinite(niceHi)) {
    lo = niceLo;
    hi = niceHi;
  }
  const values: number[] = [];
  for (
    let k = Math.ceil(lo / step);
    k * step <= hi && values.length < 20;
    k++
  ) {
    values.push(k * step);
  }
  const labels = tickLabels(values, step);
  const ticks = values.map((v, i) => ({
    at: fraction(v, lo, hi),
    label: labels[i],
  }));
  return { at: (v) => fraction(v, lo, hi), ticks };
}

/** Labels in one style per axis: fixed decimals, or exponents for extremes. */
function tickLabels(values: number[], step: number): string[] {
  const stepPow = Math.floor(Math.log10(step) + 1e-9);
  const maxAbs = Math.max(...values.map(Math.abs));
  if (maxAbs >= 1e6 || maxAbs < 1e-3) {
    const digits = Math.floor(Math.log10(maxAbs)) - stepPow;
    return values.map((v) =>
      Math.abs(v) < step * 1e-6
        ? "0"
        : v.toExponential(Math.min(15, Math.max(0, digits)))
    );
  }
  const decimals = Math.min(20, Math.max(0, -stepPow));
  return values.map((v) =>
    Math.abs(v) < step * 1e-6 ? "0" : v.toFixed(decimals)
  );
}

/** Log scale computed in exponents, so no power of ten ever overflows. */
function logScale(min: number, max: number): Scale {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const at = (exponent: number) => (exponent - lo) / (hi - lo);
  const every = Math.ceil((hi - lo) / 8);
  const ticks: Scale["ticks"] = [];
  for (let k = lo; k <= hi; k += every) {
    ticks.push({
      at: at(k),
      label: Math.abs(k) < 4 ? String(10 ** k) : `1e${k}`,
    });
    // Few decades: 2 and 5 in each, so the axis still reads.
    if (hi - lo <= 2 && k < hi) {
      for (const m of [2, 5]) {
        ticks.push({
          at: at(k + Math.log10(m)),
          label: Math.abs(k) < 4
            ? String(Number((m * 10 ** k).toPrecision(1)))
            : `${m}e${k}`,
        });
      }
    }
  }
  return { at: (v) => at(Math.log10(v)), ticks };
}

function num(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

function checkSize(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 200 || v > 20000) {
    throw new RangeError(`${name} must be a number in [200, 20000], got ${v}`);
  }
  return v;
}

/**
 * Draws series as an SVG line chart and returns the SVG document text.
 * Points with a non-finite coordinate (or y <= 0 with `logY`) are skipped;
 * every text is XML-escaped.
 */
export function lineChart(options: LineChartOptions): string {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("lineChart() expects an options object");
  }
  const { title = "", xLabel = "", yLabel = "", logY = false } = options;
  const width = checkSize(options.width, "width", 720);
  const height = checkSize(options.height, "height", 440);
  if (!Array.isArray(options.series)) {
    throw new TypeError(
      `series must be an array, got ${typeof options.series}`,
    );
  }
  const keep = (x: unknown, y: unknown): boolean =>
    typeof x === "number" && typeof y === "number" && Number.isFinite(x) &&
    Number.isFinite(y) && (!logY || y > 0);
  const series = options.series.map((s, i) => {
    if (typeof s !== "object" || s === null || !Array.isArray(s.points)) {
      throw new TypeError(`series[${i}] must be { name, points: [x, y][] }`);
    }
    const points: [number, number][] = [];
    (s.points as readonly unknown[]).forEach((p: unknown, j: number) => {
      if (!Array.isArray(p) || p.length !== 2) {
        throw new TypeError(`series[${i}].points[${j}] must be an [x, y] pair`);
      }
      if (keep(p[0], p[1])) points.push([p[0], p[1]]);
    });
    return { name: String(s.name ?? ""), points };
  });

  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const { points } of series) {
    for (const [x, y] of points) {
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
    }
  }
  if (xMin > xMax) {
    [xMin, xMax, yMin, yMax] = [0, 1, logY ? 1 : 0, logY ? 10 : 1];
  }
  const sx = linearScale(xMin, xMax);
  const sy = logY ? logScale(yMin, yMax) : linearScale(yMin, yMax);

  // Layout: room for the title, tick labels, axis labels and the legend.
  const longest = series.reduce((m, s) => Math.max(m, [...s.name].length), 0);
  const legendWidth = series.length === 0
    ? 0
    : Math.min(Math.round(width * 0.3), 34 + 7 * longest);
  const widest = sy.ticks.reduce((m, t) => Math.max(m, t.label.length), 0);
  const left = Math.round(Math.min(width * 0.3, 44 + 7 * widest));
  const top = title ? 40 : 16, bottom = xLabel ? 56 : 36;
  const right = 16 + legendWidth;
  const x0 = left, x1 = width - right, y0 = top, y1 = height - bottom;
  // Positions are fractions of the plot area; clamping absorbs rounding.
  const fx = (f: number) => x0 + Math.min(1, Math.max(0, f)) * (x1 - x0);
  const fy = (f: number) => y1 - Math.min(1, Math.max(0, f)) * (y1 - y0);
  const px = (v: number) => fx(sx.at(v));
  const py = (v: number) => fy(sy.at(v));

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  if (title) out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (title) {
    out.push(
      `<text class="title" x="${
        num(width / 2)
      }" y="24" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`,
    );
  }

  out.push('<g class="grid" stroke="#e6e6e6" stroke-width="1">');
  for (const t of sx.ticks) {
    const x = num(fx(t.at));
    out.push(`<line x1="${x}" y1="${num(y0)}" x2="${x}" y2="${num(y1)}"/>`);
  }
  for (const t of sy.ticks) {
    const y = num(fy(t.at));
    out.push(`<line x1="${num(x0)}" y1="${y}" x2="${num(x1)}" y2="${y}"/>`);
  }
  out.push("</g>");

  out.push('<g class="axes" stroke="#333" stroke-width="1">');
  out.push(
    `<line x1="${num(x0)}" y1="${num(y1)}" x2="${num(x1)}" y2="${num(y1)}"/>`,
  );
  out.push(
    `<line x1="${num(x0)}" y1="${num(y0)}" x2="${num(x0)}" y2="${num(y1)}"/>`,
  );
  for (const t of sx.ticks) {
    const x = num(fx(t.at));
    out.push(`<line x1="${x}" y1="${num(y1)}" x2="${x}" y2="${num(y1 + 5)}"/>`);
  }
  for (const t of sy.ticks) {
    const y = num(fy(t.at));
    out.push(`<line x1="${num(x0 - 5)}" y1="${y}" x2="${num(x0)}" y2="${y}"/>`);
  }
  out.push("</g>");

  out.push('<g class="tick-labels" fill="#333">');
  for (const t of sx.ticks) {
    out.push(
      `<text class="x-tick" x="${num(fx(t.at))}" y="${
        num(y1 + 18)
      }" text-anchor="middle">${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of sy.ticks) {
    out.push(
      `<text class="y-tick" x="${num(x0 - 8)}" y="${
        num(fy(t.at))
      }" text-anchor="end" dominant-baseline="middle">${
        escapeXml(t.label)
      }</text>`,
    );
  }
  out.push("</g>");

  if (xLabel) {
    out.push(
      `<text class="x-label" x="${num((x0 + x1) / 2)}" y="${
        num(height - 14)
      }" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    );
  }
  if (yLabel) {
    const cy = num((y0 + y1) / 2);
    out.push(
      `<text class="y-label" x="18" y="${cy}" text-anchor="middle" transform="rotate(-90 18 ${cy})">${
        escapeXml(yLabel)
      }</text>`,
    );
  }

  out.push(
    '<g class="series" fill="none" stroke-width="1.5" stroke-linejoin="round">',
  );
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${num(px(x))},${num(py(y))}`).join(
      " ",
    );
    out.push(
      `<polyline stroke="${color(i)}" points="${pts}"><title>${
        escapeXml(s.name)
      }</title></polyline>`,
    );
    // A lone point draws no line; mark it so it is not lost.
    if (s.points.length === 1) {
      out.push(
        `<circle cx="${num(px(s.points[0][0]))}" cy="${
          num(py(s.points[0][1]))
        }" r="2.5" fill="${color(i)}" stroke="none"/>`,
      );
    }
  });
  out.push("</g>");

  if (series.length > 0) {
    const lx = x1 + 14;
    const maxChars = Math.max(1, Math.floor((legendWidth - 34) / 7));
    // Rows shrink rather than run off the picture when there are many.
    const row = Math.min(18, (height - y0 - 10) / series.length);
    out.push('<g class="legend">');
    series.forEach((s, i) => {
      const y = y0 + 10 + i * row;
      const chars = [...s.name];
      const name = chars.length > maxChars
        ? chars.slice(0, maxChars - 1).join("") + "\u2026"
        : s.name;
      out.push(
        `<line x1="${num(lx)}" y1="${num(y)}" x2="${num(lx + 20)}" y2="${
          num(y)
        }" stroke="${color(i)}" stroke-width="2.5"/>`,
        `<text x="${num(lx + 26)}" y="${num(y)}" dominant-baseline="middle">${
          escapeXml(name)
        }</text>`,
      );
    });
    out.push("</g>");
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
