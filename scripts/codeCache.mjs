// Makes the bundles' V8 code caches (util/bundleLoader.ts): runs a small demo transfer over
// 127.0.0.1 (a sender, receivers, one behind simulated loss) with FOUNTCAST_WRITE_CODE_CACHE=1, so
// that the command line's and each worker's cache holds the functions a transfer compiles. A
// build that cannot run it (no loopback, say) goes on without caches: the bundles then compile
// as they load, which is slower to start and otherwise the same.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// The decode workers start only where a receiver must decode, which the demo's combined resends
// spare it: their bundle usually compiles as it loads (a decode runs for milliseconds).
const bundles = ['cli', 'sender/streamWorker', 'sender/fileHashWorker'];
// A single file is hashed on a native thread where the module is built (sender/nativeFileHash.ts):
// a first run without it makes the hashing worker's cache (trees, --sha256), the second the
// others, as a plain send runs.
for (const env of [{ FOUNTCAST_NATIVE_FILE_HASH: '0' }, {}]) {
  try {
    execFileSync(process.execPath, ['dist/cli.js', 'demo', '--size', '6M', '--json', '--log-level', 'error'], {
      env: { ...process.env, ...env, FOUNTCAST_WRITE_CODE_CACHE: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    });
  } catch (e) {
    console.warn(`code caches not made (the demo transfer failed: ${e.stderr?.toString().trim() || e.message}): the bundles compile as they load`);
    break;
  }
}
const made = bundles.filter((b) => existsSync(`dist/${b}.cjs.cache`));
const missing = bundles.filter((b) => !made.includes(b));
console.log(`code caches: ${made.length} of ${bundles.length}${missing.length > 0 ? ` (none for ${missing.join(', ')})` : ''}`);
