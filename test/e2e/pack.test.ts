/**
 * What `npm pack` ships is enough to run: the packed tarball, installed in an empty directory
 * with its runtime dependencies only (no dev dependencies, no checkout), answers --help and
 * moves a file. CI has no network, so the install is offline: the dependencies' versions come
 * from this repository's lockfile (its runtime entries only) and their tarballs from the npm
 * cache `npm ci` filled. A file the package needs at run time but `files` leaves out fails here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
if (!npm) console.warn('test/e2e/pack.test.ts: skipped, npm is not on PATH');
let cleanup: (() => Promise<void>) | undefined;
afterAll(() => cleanup?.());

interface LockEntry {
  dev?: boolean;
  link?: boolean;
}

/** A lockfile for an app that depends on the tarball alone: fountcast's runtime dependencies as this repository pins them. */
function appLock(tarball: string): object {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies: object; bin: object; engines: object };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, object> = {
    '': { name: 'app', version: '1.0.0', dependencies: { fountcast: `file:${tarball}` } },
    'node_modules/fountcast': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      hasInstallScript: true,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev && !entry.link) packages[path] = entry;
  return { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

describe('npm pack', () => {
  it.skipIf(!npm)(
    `the packed tarball installs offline without dev dependencies and runs --help and a demo${npm ? '' : ' (skipped: npm not found)'}`,
    async () => {
      const t = await tempDir();
      cleanup = t.cleanup;
      // dist/ is built by the test command (tsc runs first); --ignore-scripts skips building it again.
      const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', t.dir], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
        .trim()
        .split('\n')
        .pop()!;
      writeFileSync(
        join(t.dir, 'package.json'),
        JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { fountcast: `file:${tarball}` } }),
      );
      writeFileSync(join(t.dir, 'package-lock.json'), JSON.stringify(appLock(tarball)));
      const install = spawnSync('npm', ['ci', '--offline', '--omit=dev', '--no-audit', '--no-fund'], { cwd: t.dir, encoding: 'utf8' });
      expect(install.status, install.stderr).toBe(0);
      // No dev dependency came along.
      for (const dev of ['vitest', 'typescript', 'eslint']) expect(spawnSync('test', ['-e', join(t.dir, 'node_modules', dev)]).status, dev).not.toBe(0);

      // The man page ships (package.json's `man` points at it).
      expect(spawnSync('test', ['-s', join(t.dir, 'node_modules', 'fountcast', 'man', 'fountcast.1')]).status).toBe(0);
      const bin = join(t.dir, 'node_modules', '.bin', 'fountcast');
      const help = spawnSync(bin, ['--help'], { cwd: t.dir, encoding: 'utf8' });
      expect(help.status, help.stderr).toBe(0);
      for (const command of ['send', 'receive', 'demo', 'keygen', 'enroll']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      const demo = spawnSync(bin, ['demo', '--size', '1M', '--receivers', '2'], { cwd: t.dir, encoding: 'utf8' });
      expect(demo.status, demo.stderr).toBe(0);
      expect(demo.stdout + demo.stderr).toMatch(/all copies identical/);
    },
    120_000,
  );
});
