/**
 * worker_threads need JavaScript. The product always runs from dist/ (built by `npm ci`'s
 * prepare step), but vitest imports the TypeScript sources; then a worker is started from the
 * compiled twin under dist/. `npm test` builds first, so dist/ is current.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Project root: the directory holding package.json above this file (or above dist/). */
function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url)); // <root>/util or <root>/dist/util
  const up = join(here, '..');
  return basename(up) === 'dist' ? join(up, '..') : up;
}

/**
 * URL of the compiled worker script for `modulePath`, a path relative to the project root
 * without extension (e.g. "sender/streamWorker"): the CommonJS stub of its bundle where the build
 * made one (scripts/bundleCli.mjs: no ES-module loader to start in the worker), else tsc's module.
 */
export function workerScriptUrl(modulePath: string): URL {
  const stub = join(projectRoot(), 'dist', `${modulePath}.start.cjs`);
  if (existsSync(stub)) return pathToFileURL(stub);
  const file = join(projectRoot(), 'dist', `${modulePath}.js`);
  if (!existsSync(file)) {
    throw new Error(`worker script ${relative(process.cwd(), file)} is missing: run "npm run build"`);
  }
  return pathToFileURL(file);
}

/** Path of a build product under dist/ (e.g. "sea/receiver.cjs"), whether or not it exists. */
export function distPath(file: string): string {
  return join(projectRoot(), 'dist', file);
}
