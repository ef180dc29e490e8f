// Bundles the command line and the worker threads it starts into dist/ with esbuild, over tsc's
// output for those entry files: one file and a few shared chunks (dist/chunks/) to load instead
// of ~150 modules to resolve, read and compile, which was about a quarter of a receiver's CPU on
// a small file (start-up is paid by every receiver of every update). Dynamic imports stay lazy
// (code splitting); packages stay external (node_modules); the library (dist/index.js and what
// it imports) stays tsc's one module per file.
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: {
    cli: 'cli.ts',
    'sender/streamWorker': 'sender/streamWorker.ts',
    'sender/fileHashWorker': 'sender/fileHashWorker.ts',
    'receiver/decodeWorker': 'receiver/decodeWorker.ts',
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  // The entry keeps its shebang (cli.ts has one); nothing else is added.
  legalComments: 'none',
  logLevel: 'warning',
});
// The package's bin, run directly where it is installed.
chmodSync('dist/cli.js', 0o755);
