/**
 * Plots of an experiment, drawn by a real plotting library: vega-lite compiles each spec, vega
 * renders it to SVG without a browser (renderer 'none'), and @resvg/resvg-js (its binary ships
 * inside the npm package) rasterises the SVG to PNG. Four charts, each as .svg and .png:
 * overhead vs loss rate per scheme (a numeric axis: 0.01 and 0.2 are not neighbours), completion
 * time vs receivers, the CDF of overhead per scheme for each loss configuration (pooling rates
 * would mix a loss-free plateau into every curve), and symbols sent per K vs receivers with the
 * closed forms (theoryCurves.ts) drawn beside the measured lines.
 *
 * Lines that coincide (RaptorQ and ARQ both at 0 % overhead without loss) stay apart by dash
 * pattern and marker shape as well as colour; log axes are labelled at powers of ten only.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { describeDecode, type ExperimentResult } from './experiment.js';
import { lossModel, parseLossSpec } from './lossModels.js';
import { theoryCurves } from './theoryCurves.js';
import { SeededRandom } from '../../util/random.js';

type Spec = vl.TopLevelSpec;

const DASHES = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 3, 2, 3],
  [4, 4],
  [1, 3],
  [10, 2],
  [3, 3, 1, 3],
];
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];
const SIZES = [150, 110, 80, 60, 45, 35, 28, 22];
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6'];

/** Powers of ten covering [min, max], as a log axis's only labels (no collisions; 100 is one). */
function decadeTicks(min: number, max: number): { values: number[]; domain: [number, number] } {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const values = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  return { values, domain: [values[0]!, values[values.length - 1]!] };
}

/** The configuration's mean loss rate as a number (a Gilbert–Elliott chain's long-run rate). */
function lossRate(loss: string): number {
  const spec = parseLossSpec(loss);
  return spec.kind === 'bernoulli' ? spec.loss : lossModel(spec, new SeededRandom(0)).meanLoss;
}

/**
 * Colour, dash, marker shape and size per series, by position in `names` (so a scheme looks the
 * same in every chart); closed forms (`theory`) are grey, dashed and unmarked. Hollow markers
 * whose size falls series by series: where lines coincide (RaptorQ and ARQ at 0 % overhead)
 * each marker still shows round the next.
 */
function seriesStyle(names: string[], theory: Set<string>) {
  const scale = (range: readonly unknown[], theoryValue: unknown) => {
    let i = 0;
    return { domain: names, range: names.map((n) => (theory.has(n) ? theoryValue : range[i++ % range.length])) };
  };
  const legend = { labelLimit: 220 };
  return {
    color: { field: 'series', type: 'nominal', title: 'scheme', scale: scale(PALETTE, '#777'), legend },
    strokeDash: { field: 'series', type: 'nominal', title: 'scheme', scale: scale(DASHES, [3, 3]), legend },
    shape: { field: 'series', type: 'nominal', title: 'scheme', scale: scale(SHAPES, 'stroke'), legend },
    size: { field: 'series', type: 'nominal', sort: names, title: 'scheme', scale: scale(SIZES, 0), legend },
  } as const;
}

/** A line per series (colour, dash) with hollow markers (shape, size) on its points. */
function seriesLines(style: ReturnType<typeof seriesStyle>, x: object, y: object, interpolate?: 'step-after') {
  return [
    {
      mark: { type: 'line' as const, strokeWidth: 1.8, ...(interpolate ? { interpolate } : {}) },
      encoding: { x, y, color: style.color, strokeDash: style.strokeDash },
    },
    { mark: { type: 'point' as const, filled: false, strokeWidth: 1.5 }, encoding: { x, y, color: style.color, shape: style.shape, size: style.size } },
  ];
}

function charts(result: ExperimentResult): Record<string, Spec> {
  const decode = `${result.config.mode === 'real' ? 'real transfers, ' : ''}decode: ${describeDecode(result.config)}`;
  const rows = result.rows.map((r) => ({
    ...r,
    series: r.scheme as string,
    lossRate: lossRate(r.loss),
    bernoulli: !r.loss.startsWith('gilbert'),
    overheadPct: Number.isFinite(r.overheadMean) ? r.overheadMean * 100 : null,
    sentPerK: r.symbolsSent / r.sourceSymbols,
    completion: Number.isFinite(r.completionMs) ? r.completionMs : null,
  }));
  const theory = theoryCurves(result.config);
  const schemes = [...new Set(rows.map((r) => r.series))];
  const style = seriesStyle(schemes, new Set());
  const withTheory = seriesStyle([...schemes, ...new Set(theory.map((t) => t.series))], new Set(theory.map((t) => t.series)));
  const lines = (x: object, y: object, interpolate?: 'step-after') => seriesLines(style, x, y, interpolate);
  const receivers = decadeTicks(Math.min(...result.config.receivers), Math.max(...result.config.receivers));
  const receiversAxis = {
    field: 'receivers',
    type: 'quantitative',
    title: 'receivers',
    scale: { type: 'log', domain: receivers.domain },
    axis: { values: receivers.values, format: '~s', labelOverlap: false, grid: true },
  } as const;
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', config: { font: 'DejaVu Sans' } } as const;
  const measured = { values: rows };
  return {
    'overhead-vs-loss': {
      ...base,
      data: measured,
      title: `Reception overhead vs loss rate (Bernoulli loss; mean over trials; ${decode})`,
      transform: [{ filter: 'datum.bernoulli' }],
      facet: { column: { field: 'receivers', type: 'ordinal', title: 'receivers' } },
      spec: {
        width: 220,
        height: 200,
        layer: lines(
          { field: 'lossRate', type: 'quantitative', title: 'loss rate', axis: { format: '~%' } },
          { aggregate: 'mean', field: 'overheadPct', type: 'quantitative', title: 'symbols received / K − 1 (%)' },
        ),
      },
    },
    'completion-vs-receivers': {
      ...base,
      data: measured,
      title: `Session completion (${result.config.mode === 'real' ? 'wall' : 'virtual'} ms) vs receivers (${decode})`,
      facet: { column: { field: 'loss', type: 'ordinal', title: 'loss' } },
      spec: {
        width: 200,
        height: 200,
        layer: lines(receiversAxis, { aggregate: 'mean', field: 'completion', type: 'quantitative', title: 'last receiver done (ms)' }),
      },
    },
    'overhead-cdf': {
      ...base,
      data: measured,
      title: `CDF of reception overhead, per loss configuration (${decode})`,
      transform: [
        { filter: 'datum.overheadPct != null' },
        { window: [{ op: 'cume_dist', as: 'cdf' }], sort: [{ field: 'overheadPct' }], groupby: ['series', 'loss'] },
      ],
      facet: { column: { field: 'loss', type: 'ordinal', title: 'loss' } },
      spec: {
        width: 200,
        height: 200,
        layer: lines(
          { field: 'overheadPct', type: 'quantitative', title: 'symbols received / K − 1 (%)' },
          { field: 'cdf', type: 'quantitative', title: 'fraction of trials', scale: { domain: [0, 1] } },
          'step-after',
        ),
      },
    },
    'sent-per-k-vs-receivers': {
      ...base,
      title: `Symbols sent / K vs receivers, closed forms dashed grey where they exist (${decode})`,
      facet: { column: { field: 'loss', type: 'ordinal', title: 'loss' } },
      data: { values: [...rows.map((r) => ({ ...r, kind: 'measured' })), ...theory.map((t) => ({ ...t, kind: 'theory' }))] },
      spec: {
        width: 200,
        height: 200,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'theory'" }],
            mark: { type: 'line', strokeWidth: 1.5 },
            encoding: { x: receiversAxis, y: { field: 'sentPerK', type: 'quantitative' }, color: withTheory.color, strokeDash: withTheory.strokeDash },
          },
          ...seriesLines(withTheory, receiversAxis, {
            aggregate: 'mean',
            field: 'sentPerK',
            type: 'quantitative',
            title: 'symbols sent / K',
            scale: { zero: false },
          }).map((l) => ({
            ...l,
            transform: [{ filter: "datum.kind === 'measured'" }],
          })),
        ],
      },
    },
  };
}

export async function renderSvg(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

/** Writes <name>.svg and <name>.png for every chart; returns the paths. */
export async function writePlots(dir: string, result: ExperimentResult): Promise<string[]> {
  const files: string[] = [];
  for (const [name, spec] of Object.entries(charts(result))) {
    const svg = await renderSvg(spec);
    await writeFile(join(dir, `${name}.svg`), svg);
    await writeFile(join(dir, `${name}.png`), svgToPng(svg));
    files.push(join(dir, `${name}.svg`), join(dir, `${name}.png`));
  }
  return files;
}
