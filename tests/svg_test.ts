import {
  escapeXml,
  lineChart,
  type LineChartOptions,
} from "../examples/_svg.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { parseXml, type XmlElement } from "./support/xml.ts";

function all(
  el: XmlElement,
  name: string,
  out: XmlElement[] = [],
): XmlElement[] {
  if (el.name === name) out.push(el);
  for (const c of el.children) all(c, name, out);
  return out;
}

function byClass(el: XmlElement, cls: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.attrs.class === cls) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}

Deno.test("xml checker: accepts well-formed XML and rejects the rest", () => {
  const ok = parseXml(
    `<?xml version="1.0"?>\n<!-- c --><a x='1' y="&lt;&#38;&#x41;"><b/>t&amp;<![CDATA[<raw>]]><c></c ></a>\n`,
  );
  assertEquals(ok.attrs, { x: "1", y: "<&A" });
  assertEquals(ok.text, "t&<raw>");
  assertEquals(ok.children.map((c) => c.name), ["b", "c"]);
  const bad = [
    "<a><b></a></b>",
    "<a>&</a>",
    "<a>&nbsp;</a>",
    "<a>&#0;</a>",
    '<a x="1" x="2"/>',
    "<a x=1/>",
    '<a x="<"/>',
    '<a x="1"y="2"/>',
    "<a/><b/>",
    "<a>",
    "text<a/>",
    "<a>\u0001</a>",
    "<a>\ud800</a>",
    "<a>]]></a>",
    "<a><!-- -- --></a>",
    "<!DOCTYPE a><a/>",
    "",
  ];
  for (const src of bad) assertThrows(() => parseXml(src), SyntaxError);
});

// ---- the chart ----

interface Parsed {
  root: XmlElement;
  width: number;
  height: number;
  plot: { x0: number; x1: number; y0: number; y1: number };
  polylines: [number, number][][];
}

function parseChart(options: LineChartOptions): Parsed {
  const svg = lineChart(options);
  const root = parseXml(svg);
  assertEquals(root.name, "svg");
  assertEquals(root.attrs.xmlns, "http://www.w3.org/2000/svg");
  const width = Number(root.attrs.width), height = Number(root.attrs.height);
  assertEquals(root.attrs.viewBox, `0 0 ${width} ${height}`);
  assertEquals([width, height], [
    options.width ?? width,
    options.height ?? height,
  ]);
  // Every number in every attribute is finite and inside the picture.
  const walk = (e: XmlElement) => {
    for (const [k, v] of Object.entries(e.attrs)) {
      assert(!/NaN|Infinity/.test(v), `${e.name}.${k} = ${v}`);
      if (["x", "x1", "x2", "cx"].includes(k)) {
        assert(+v >= 0 && +v <= width, `${k} ${v}`);
      }
      if (["y", "y1", "y2", "cy"].includes(k)) {
        assert(+v >= 0 && +v <= height, `${k} ${v}`);
      }
    }
    e.children.forEach(walk);
  };
  walk(root);
  const [xAxis, yAxis] = byClass(root, "axes")[0].children;
  const plot = {
    x0: Number(xAxis.attrs.x1),
    x1: Number(xAxis.attrs.x2),
    y0: Number(yAxis.attrs.y1),
    y1: Number(yAxis.attrs.y2),
  };
  assert(plot.x0 < plot.x1 && plot.y0 < plot.y1, JSON.stringify(plot));
  const polylines = all(root, "polyline").map((p) =>
    p.attrs.points === "" ? [] : p.attrs.points.split(" ").map((xy) => {
      const [x, y] = xy.split(",").map(Number);
      assert(
        x >= plot.x0 && x <= plot.x1 && y >= plot.y0 && y <= plot.y1,
        `point ${xy}`,
      );
      return [x, y] as [number, number];
    })
  );
  return { root, width, height, plot, polylines };
}

/** The affine map value -> pixel implied by the first and last tick labels. */
function tickMap(root: XmlElement, cls: string, attr: string, log: boolean) {
  const ticks = byClass(root, cls).map((t) => ({
    v: log ? Math.log10(Number(t.text)) : Number(t.text),
    p: Number(t.attrs[attr]),
  }));
  assert(ticks.length >= 2, `${cls}: ${ticks.length} ticks`);
  for (const t of ticks) assert(Number.isFinite(t.v), `${cls} label`);
  const a = ticks[0], b = ticks[ticks.length - 1];
  const slope = (b.p - a.p) / (b.v - a.v);
  for (const t of ticks) {
    assert(
      Math.abs(a.p + slope * (t.v - a.v) - t.p) < 0.05,
      `${cls} tick ${t.v} misplaced`,
    );
  }
  return (v: number) => a.p + slope * ((log ? Math.log10(v) : v) - a.v);
}

Deno.test("lineChart: one polyline per series, placed where the axes say", () => {
  const series = [
    {
      name: "SGD",
      points: [0, 1, 2, 3, 4, 5, 6].map((x) =>
        [x, 10 / (1 + x)] as [number, number]
      ),
    },
    {
      name: "Adam",
      points: [[0, 8], [3, 0.5], [6, 0.25]] as [number, number][],
    },
    { name: "rising", points: [[-2, -1], [7.5, 12]] as [number, number][] },
  ];
  const c = parseChart({
    title: "Loss",
    xLabel: "epoch",
    yLabel: "loss",
    series,
    width: 800,
    height: 500,
  });
  assertEquals(c.polylines.length, series.length);
  const mx = tickMap(c.root, "x-tick", "x", false);
  const my = tickMap(c.root, "y-tick", "y", false);
  series.forEach((s, i) => {
    assertEquals(c.polylines[i].length, s.points.length);
    s.points.forEach(([x, y], j) => {
      const [px, py] = c.polylines[i][j];
      assert(
        Math.abs(px - mx(x)) < 0.05,
        `series ${i} point ${j}: x ${px} vs ${mx(x)}`,
      );
      assert(
        Math.abs(py - my(y)) < 0.05,
        `series ${i} point ${j}: y ${py} vs ${my(y)}`,
      );
    });
  });
  // Larger y is higher up; the ticks span the data.
  assert(my(10) < my(0));
  const yTicks = byClass(c.root, "y-tick").map((t) => Number(t.text));
  assert(Math.min(...yTicks) <= -1 && Math.max(...yTicks) >= 12, `${yTicks}`);
  const strokes = all(c.root, "polyline").map((p) => p.attrs.stroke);
  assertEquals(new Set(strokes).size, series.length);
  const legend = byClass(c.root, "legend")[0];
  assertEquals(
    all(legend, "text").map((t) => t.text),
    series.map((s) => s.name),
  );
  assertEquals(all(legend, "line").map((l) => l.attrs.stroke), strokes);
  assertEquals(
    all(c.root, "polyline").map((p) => all(p, "title")[0].text),
    series.map((s) => s.name),
  );
  assertEquals(byClass(c.root, "title")[0].text, "Loss");
  assertEquals(byClass(c.root, "x-label")[0].text, "epoch");
  assertEquals(byClass(c.root, "y-label")[0].text, "loss");
});

Deno.test("lineChart: logY places decades evenly and skips y <= 0", () => {
  const points: [number, number][] = [
    [0, 100],
    [1, 0],
    [2, 3e-3],
    [3, -1],
    [4, 5e-6],
    [5, NaN],
    [6, 1],
  ];
  const c = parseChart({ series: [{ name: "loss", points }], logY: true });
  const kept = points.filter(([, y]) => y > 0);
  assertEquals(c.polylines[0].length, kept.length);
  const my = tickMap(c.root, "y-tick", "y", true);
  const mx = tickMap(c.root, "x-tick", "x", false);
  kept.forEach(([x, y], j) => {
    assert(Math.abs(c.polylines[0][j][1] - my(y)) < 0.05, `y of ${y}`);
    assert(Math.abs(c.polylines[0][j][0] - mx(x)) < 0.05, `x of ${x}`);
  });
  const labels = byClass(c.root, "y-tick").map((t) => Number(t.text));
  assert(
    Math.min(...labels) <= 5e-6 && Math.max(...labels) >= 100,
    `${labels}`,
  );
  for (const v of labels) {
    assert(Number.isInteger(Math.log10(v)), `tick ${v} is not a power of ten`);
  }
  // Within two decades, 2 and 5 ticks appear too.
  const narrow = parseChart({
    series: [{ name: "a", points: [[0, 1.5], [1, 40]] }],
    logY: true,
  });
  const narrowLabels = byClass(narrow.root, "y-tick").map((t) =>
    Number(t.text)
  );
  assert(
    narrowLabels.includes(2) && narrowLabels.includes(50),
    `${narrowLabels}`,
  );
  tickMap(narrow.root, "y-tick", "y", true);
});

Deno.test("lineChart: skips non-finite points and survives degenerate data", () => {
  const c = parseChart({
    series: [{
      name: "a",
      points: [[NaN, 1], [Infinity, 2], [1, -Infinity], [2, 3], [3, NaN]],
    }],
  });
  assertEquals(c.polylines[0].length, 1);
  assertEquals(all(c.root, "circle").length, 1);
  const cases: LineChartOptions[] = [
    { series: [] },
    { series: [{ name: "empty", points: [] }] },
    { series: [{ name: "flat", points: [[1, 5], [2, 5], [3, 5]] }] },
    { series: [{ name: "one x", points: [[4, 1], [4, 2]] }] },
    { series: [{ name: "zeros", points: [[0, 0], [0, 0]] }] },
    {
      series: [{
        name: "huge",
        points: [[-1.7e308, 1.7e308], [1.7e308, -1.7e308]],
      }],
    },
    {
      series: [{
        name: "tiny span",
        points: [[1, 1], [1 + 2 ** -52, 1 + 2 ** -51]],
      }],
    },
    { series: [{ name: "denormal", points: [[0, 5e-324], [1e-310, 1e-320]] }] },
    {
      series: [{ name: "log range", points: [[0, 5e-324], [1, 1.7e308]] }],
      logY: true,
    },
    {
      series: [{ name: "all skipped", points: [[0, -1], [1, 0]] }],
      logY: true,
    },
    {
      series: [{
        name: "big ints",
        points: [[1e15, 1e15], [1e15 + 2, 1e15 + 8]],
      }],
    },
  ];
  for (const options of cases) {
    const p = parseChart(options);
    assertEquals(p.polylines.length, options.series.length);
  }
});

Deno.test("lineChart: escapes every text and drops characters XML cannot hold", () => {
  const nasty = `a<b & "c" 'd' ]]> \u0001\ud800 😀 &amp;`;
  const c = parseChart({
    title: nasty,
    xLabel: nasty,
    yLabel: nasty,
    series: [{ name: nasty, points: [[0, 1], [1, 2]] }],
    width: 1200,
  });
  const expected = nasty.replace("\u0001", "\uFFFD").replace(
    "\ud800",
    "\uFFFD",
  );
  assertEquals(byClass(c.root, "title")[0].text, expected);
  assertEquals(byClass(c.root, "x-label")[0].text, expected);
  assertEquals(byClass(c.root, "y-label")[0].text, expected);
  assertEquals(all(c.root, "title")[0].text, expected);
  assertEquals(all(all(c.root, "polyline")[0], "title")[0].text, expected);
  assertEquals(parseXml(`<t>${escapeXml(nasty)}</t>`).text, expected);
});

Deno.test("lineChart: many series get distinct colors and a legend that fits", () => {
  const series = Array.from({ length: 30 }, (_, i) => ({
    name: `series number ${i} with a rather long name`,
    points: [[0, i], [1, i * 2]] as [number, number][],
  }));
  const c = parseChart({ series, height: 300 });
  assertEquals(c.polylines.length, 30);
  assertEquals(
    new Set(all(c.root, "polyline").map((p) => p.attrs.stroke)).size,
    30,
  );
  assertEquals(all(byClass(c.root, "legend")[0], "text").length, 30);
});

Deno.test("lineChart: rejects malformed options", () => {
  assertThrows(() => lineChart({ series: [], width: -5 }), RangeError, "width");
  assertThrows(
    () => lineChart({ series: [], height: NaN }),
    RangeError,
    "height",
  );
  assertThrows(
    () => lineChart({ series: "x" } as unknown as LineChartOptions),
    TypeError,
    "series",
  );
  assertThrows(
    () =>
      lineChart(
        {
          series: [{ name: "a", points: [[1, 2, 3]] }],
        } as unknown as LineChartOptions,
      ),
    TypeError,
    "series[0].points[0]",
  );
  assertThrows(
    () => lineChart({ series: [null] } as unknown as LineChartOptions),
    TypeError,
    "series[0]",
  );
  assertThrows(() => lineChart(null as unknown as LineChartOptions), TypeError);
});

Deno.test("lineChart: 300 random charts are well-formed and in bounds", () => {
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const specials = [
    NaN,
    Infinity,
    -Infinity,
    0,
    -0,
    5e-324,
    1.7e308,
    -1.7e308,
    1e-300,
  ];
  const value = () =>
    rnd() < 0.1
      ? specials[Math.floor(rnd() * specials.length)]
      : (rnd() - 0.3) * 10 ** Math.floor(rnd() * 12 - 6);
  for (let k = 0; k < 300; k++) {
    const series = Array.from({ length: Math.floor(rnd() * 5) }, (_, i) => ({
      name: `s${i}`,
      points: Array.from(
        { length: Math.floor(rnd() * 20) },
        () => [value(), value()] as [number, number],
      ),
    }));
    const c = parseChart({
      series,
      logY: rnd() < 0.5,
      title: "t",
      width: 200 + Math.floor(rnd() * 1000),
      height: 200 + Math.floor(rnd() * 600),
    });
    assertEquals(c.polylines.length, series.length);
  }
});
