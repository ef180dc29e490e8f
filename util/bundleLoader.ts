/**
 * Runs one of the build's bundles (scripts/bundleCli.mjs): the command line and each worker
 * thread it starts is a single classic script, dist/<entry>.cjs, run here with V8's code cache
 * for it, dist/<entry>.cjs.cache, when the build made one.
 *
 * Why: every receiver and sender is a fresh Node process (and each stream and hashing worker a
 * fresh isolate) that parses and compiles the same ~1 MB of JavaScript before it does any work.
 * As ES modules in chunks that cost ~60 ms of CPU per process here, against ~10 for `node -e 0`;
 * a single script takes ~40, and with its code cache ~30. Start-up is paid by every receiver of
 * every update, on the machines an update is meant to leave alone.
 *
 * The cache is V8's own format: V8 checks it against the source and its own version and flags,
 * and ignores one that does not fit (another Node, other V8 flags); the script is then compiled
 * as usual, only more slowly. The build writes the caches (scripts/codeCache.mjs: a demo transfer
 * with FOUNTCAST_WRITE_CODE_CACHE=1, so that they hold the functions a transfer compiles); nothing
 * is written at run time otherwise. FOUNTCAST_CODE_CACHE=0 ignores them (A/B measurements).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** What a run used, for tests and `--version`-style reports. */
export interface BundleRun {
  readonly file: string;
  /** A cache was read and V8 took it. */
  readonly cached: boolean;
}

let last: BundleRun | undefined;

/** How the bundle this process (or thread) runs was loaded, if it was. */
export function bundleRun(): BundleRun | undefined {
  return last;
}

function readCache(file: string): Buffer | undefined {
  if (process.env.FOUNTCAST_CODE_CACHE === '0') return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Runs the classic script at `url` (a bundle) as a CommonJS module, with its code cache where it has one. */
export function runBundle(url: URL): void {
  const file = fileURLToPath(url);
  const cacheFile = `${file}.cache`;
  const cachedData = readCache(cacheFile);
  // No importModuleDynamically: Node 20 loses it for functions restored from the cache, so the
  // bundles hold no import() (scripts/bundleCli.mjs makes them require()).
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): run "npm run build"`);
  }
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  last = { file, cached: cachedData !== undefined && !script.cachedDataRejected };
  if (process.env.FOUNTCAST_WRITE_CODE_CACHE === '1') {
    // After the run, so that the functions it compiled are in the cache too; replaced whole.
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    });
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}
