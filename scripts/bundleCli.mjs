// Bundles the command line and the worker threads it starts into single classic scripts with
// esbuild, over tsc's output for those entry files: dist/cli.cjs, dist/sender/streamWorker.cjs,
// dist/sender/fileHashWorker.cjs, dist/receiver/decodeWorker.cjs, packages included. Each entry
// gets a CommonJS stub, dist/<entry>.start.cjs (the package's bin, what workerUrl.ts starts), and
// its usual path (dist/cli.js) becomes an ES-module stub; both run the bundle with V8's code
// cache for it (util/bundleLoader.ts; the caches are made afterwards by scripts/codeCache.mjs).
// One script instead of ~150 modules,
// or ES-module chunks, to resolve, link and compile: start-up is paid by every receiver of every
// update. The library (dist/index.js and what it imports) stays tsc's one module per file.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { lazyRequire } from './lazyRequirePlugin.mjs';

// entry (under dist/, no extension) -> source. `up`: from the bundle's directory to dist/.
const entries = [
  { name: 'cli', source: 'cli.ts', up: '.' },
  { name: 'sender/streamWorker', source: 'sender/streamWorker.ts', up: '..' },
  { name: 'sender/fileHashWorker', source: 'sender/fileHashWorker.ts', up: '..' },
  { name: 'receiver/decodeWorker', source: 'receiver/decodeWorker.ts', up: '..' },
];

rmSync('dist/chunks', { recursive: true, force: true });
for (const e of entries) {
  rmSync(`dist/${e.name}.cjs.cache`, { force: true });
  await build({
    entryPoints: [e.source],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: `dist/${e.name}.cjs`,
    // The sources find files beside them through import.meta.url (the native module, package.json,
    // the worker scripts, the codec's wasm), from dist/<dir>/: every bundle answers as if it were
    // dist/util/bundle.js.
    define: { 'import.meta.url': '__fountcastModuleUrl' },
    banner: {
      js: `const __fountcastModuleUrl = require("node:url").pathToFileURL(require("node:path").join(__dirname, ${JSON.stringify(e.up)}, "util", "bundle.js")).href;`,
    },
    // Reached only by `fountcast experiment` plots and `fountcast bundle`: required from
    // node_modules when used, as they are large and most runs never need them.
    external: ['vega', 'vega-lite', '@resvg/resvg-js', 'esbuild', 'postject'],
    // import() becomes require(): a function V8 restores from a code cache has no dynamic-import
    // callback in Node 20 ("A dynamic import callback was not specified"), whatever the script's
    // options said. Every package left out above can be required.
    supported: { 'dynamic-import': false },
    plugins: [lazyRequire],
    legalComments: 'none',
    logLevel: 'warning',
  });
  // A script has no shebang line (cli.ts's): the stub below carries it.
  const out = `dist/${e.name}.cjs`;
  const text = readFileSync(out, 'utf8');
  if (text.startsWith('#!')) writeFileSync(out, text.slice(text.indexOf('\n')));
  if (text.includes('import(')) throw new Error(`${out} has an import(): it would fail once restored from the code cache (see supported above)`);
  const base = e.name.split('/').pop();
  const loader = e.up === '.' ? './util/bundleLoader' : '../util/bundleLoader';
  const shebang = e.name === 'cli' ? '#!/usr/bin/env node\n' : '';
  // Two stubs: <entry>.start.cjs, what the bin and workerUrl.ts run (a CommonJS script starts no
  // ES-module loader: ~4 ms of CPU less per process or worker), and <entry>.js, the entry's usual
  // path, for whoever runs that.
  writeFileSync(
    `dist/${e.name}.start.cjs`,
    `${shebang}// Runs ${base}.cjs, the bundle of ${e.source} (scripts/bundleCli.mjs).\n'use strict';\nrequire('${loader}.cjs').runBundle(require('node:url').pathToFileURL(require('node:path').join(__dirname, '${base}.cjs')));\n`,
  );
  writeFileSync(
    `dist/${e.name}.js`,
    `${shebang}// Runs ${base}.cjs, the bundle of ${e.source} (scripts/bundleCli.mjs).\nimport { runBundle } from '${loader}.js';\n\nrunBundle(new URL('./${base}.cjs', import.meta.url));\n`,
  );
}
// The loader itself for the CommonJS stubs (tsc's dist/util/bundleLoader.js is an ES module).
await build({
  entryPoints: ['util/bundleLoader.ts'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: 'dist/util/bundleLoader.cjs',
  legalComments: 'none',
  logLevel: 'warning',
});
// The package's bin (and the usual path), run directly where it is installed.
chmodSync('dist/cli.start.cjs', 0o755);
chmodSync('dist/cli.js', 0o755);
