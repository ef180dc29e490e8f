/**
 * Plots of an experiment, drawn by a real plotting library: vega-lite compiles each spec, vega
 * renders it to SVG without a browser (renderer 'none'), and @resvg/resvg-js (its binary ships
 * inside the npm package) rasterises the SVG to PNG. Four charts, each as .svg and .png:
 * overhead vs loss per scheme, completion time vs receivers, CDF of overhead per scheme, and
 * symbols sent per K vs receivers (what the sender pays for everyone's losses).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { describeDecode, type ExperimentResult } from './experiment.js';

type Spec = vl.TopLevelSpec;

function charts(result: ExperimentResult): Record<string, Spec> {
  const decode = `${result.config.mode === 'real' ? 'real transfers, ' : ''}decode: ${describeDecode(result.config)}`;
  const rows = result.rows.map((r) => ({
    ...r,
    overheadPct: Number.isFinite(r.overheadMean) ? r.overheadMean * 100 : null,
    sentPerK: r.symbolsSent / r.sourceSymbols,
    completion: Number.isFinite(r.completionMs) ? r.completionMs : null,
  }));
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: rows }, config: { font: 'DejaVu Sans' } } as const;
  const scheme = { field: 'scheme', type: 'nominal', title: 'scheme' } as const;
  return {
    'overhead-vs-loss': {
      ...base,
      title: `Reception overhead vs loss (mean over trials; ${decode})`,
      facet: { column: { field: 'receivers', type: 'ordinal', title: 'receivers' } },
      spec: {
        width: 220,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'loss', type: 'ordinal', title: 'loss' },
          y: { aggregate: 'mean', field: 'overheadPct', type: 'quantitative', title: 'symbols received / K − 1 (%)' },
          color: scheme,
        },
      },
    },
    'completion-vs-receivers': {
      ...base,
      title: `Session completion (virtual ms) vs receivers (${decode})`,
      facet: { column: { field: 'loss', type: 'ordinal', title: 'loss' } },
      spec: {
        width: 200,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'receivers', type: 'quantitative', scale: { type: 'log' }, title: 'receivers' },
          y: { aggregate: 'mean', field: 'completion', type: 'quantitative', title: 'last receiver done (ms)' },
          color: scheme,
        },
      },
    },
    'overhead-cdf': {
      ...base,
      title: `CDF of reception overhead over all trials (${decode})`,
      width: 420,
      height: 260,
      transform: [{ filter: 'datum.overheadPct != null' }, { window: [{ op: 'cume_dist', as: 'cdf' }], sort: [{ field: 'overheadPct' }], groupby: ['scheme'] }],
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'overheadPct', type: 'quantitative', title: 'symbols received / K − 1 (%)' },
        y: { field: 'cdf', type: 'quantitative', title: 'fraction of trials' },
        color: scheme,
      },
    },
    'sent-per-k-vs-receivers': {
      ...base,
      title: `Symbols sent / K vs receivers (${decode})`,
      facet: { column: { field: 'loss', type: 'ordinal', title: 'loss' } },
      spec: {
        width: 200,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'receivers', type: 'quantitative', scale: { type: 'log' }, title: 'receivers' },
          y: { aggregate: 'mean', field: 'sentPerK', type: 'quantitative', title: 'symbols sent / K', scale: { zero: false } },
          color: scheme,
        },
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
