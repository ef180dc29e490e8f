// Prebundles the single-file receiver (cli/bundleEntry.ts) into dist/sea/receiver.cjs with esbuild,
// and copies the raptorq wasm beside it: `fountcast bundle` then needs no bundler at run time.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { lazyRequire } from './lazyRequirePlugin.mjs';

mkdirSync('dist/sea', { recursive: true });
await build({
  entryPoints: ['cli/bundleEntry.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/sea/receiver.cjs',
  // A SEA main script is CommonJS: import.meta.url becomes the executable's own URL.
  define: { 'import.meta.url': '__fountcastSelfUrl' },
  banner: { js: 'const __fountcastSelfUrl = require("node:url").pathToFileURL(process.execPath).href;' },
  plugins: [lazyRequire],
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(createRequire(import.meta.url).resolve('raptorq/raptorq_bg.wasm'), 'dist/sea/raptorq_bg.wasm');
