// A uPlot chart of one value per UTC day: stacked bars (cost by model) or lines (token kinds), sized to its container.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface DaySeries {
  readonly label: string;
  readonly color: string;
  /** One value per day, in the order of `days`. */
  readonly values: readonly number[];
}

interface Props {
  readonly id: string;
  readonly title: string;
  /** The chart's content in words, for those who cannot see the canvas. */
  readonly summary: string;
  /** Unix seconds of each day's UTC midnight. */
  readonly days: readonly number[];
  /** For stacked bars: listed bottom to top. */
  readonly series: readonly DaySeries[];
  readonly kind: "stacked-bars" | "lines";
  readonly format: (n: number) => string;
}

const HEIGHT = 240;
const HALF_DAY = 43_200;

/** uPlot draws series in order, so a stack is drawn as running totals, tallest first, each bar over the one before. */
function plotted(series: readonly DaySeries[], kind: Props["kind"]): { series: DaySeries[]; raw: DaySeries[] } {
  if (kind === "lines") return { series: [...series], raw: [...series] };
  const running: DaySeries[] = [];
  let below: readonly number[] = series[0]?.values.map(() => 0) ?? [];
  for (const s of series) {
    const sum = s.values.map((v, i) => v + (below[i] ?? 0));
    running.push({ ...s, values: sum });
    below = sum;
  }
  return { series: running.reverse(), raw: [...series].reverse() };
}

function options(p: Props, width: number, raw: readonly DaySeries[], drawn: readonly DaySeries[]): uPlot.Options {
  const bars = p.kind === "stacked-bars" ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined;
  const lastDay = p.days.length - 1;
  return {
    width,
    height: HEIGHT,
    // The gateway's days are UTC days: label them as such whatever the browser's time zone.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    scales: { x: { time: true, range: (_u, min, max) => [min - HALF_DAY, max + HALF_DAY] } },
    // The value axis is as wide as its longest label ("$0.0000075" is wider than "$10").
    axes: [{}, { size: (_u, values) => Math.max(40, ...(values ?? []).map((v) => v.length * 8 + 18)), values: (_u, splits) => splits.map((v) => p.format(v)) }],
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: "Day", value: "{YYYY}-{MM}-{DD}" },
      ...drawn.map(
        (s, i): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: p.kind === "lines" ? 2 : 1,
          ...(p.kind === "stacked-bars" ? { fill: s.color, points: { show: false } } : {}),
          ...(bars ? { paths: bars } : {}),
          // The legend shows each series' own value, not the running total it is drawn at.
          value: (_u, _v, _si, idx) => (idx === null ? "–" : p.format(raw[i]?.values[idx] ?? 0)),
        }),
      ),
    ],
    // Until the pointer picks a day, the legend shows today's values.
    hooks: { ready: [(u) => u.setLegend({ idx: lastDay })] },
  };
}

export function DayChart(p: Props) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const { series: drawn, raw } = plotted(p.series, p.kind);
    const data: uPlot.AlignedData = [[...p.days], ...drawn.map((s) => [...s.values])];
    const chart = new uPlot(options(p, Math.max(el.clientWidth, 200), raw, drawn), data, el);
    // Resized in the next frame and only when the width changed: no resize loop between the chart and its holder.
    let frame = 0;
    const resize = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const width = Math.max(el.clientWidth, 200);
        if (width !== chart.width) chart.setSize({ width, height: HEIGHT });
      });
    });
    resize.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      chart.destroy();
    };
  }, [p.days, p.series, p.kind]);
  return (
    <figure class="chart" id={p.id} aria-labelledby={`${p.id}-title`}>
      <h2 id={`${p.id}-title`}>{p.title}</h2>
      <figcaption class="chart-summary">{p.summary}</figcaption>
      <div ref={holder} class="chart-canvas" />
    </figure>
  );
}
