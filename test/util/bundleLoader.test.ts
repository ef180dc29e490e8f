import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const loader = new URL('../../dist/util/bundleLoader.js', import.meta.url).href;
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const dirs: string[] = [];
/** What bundle() prints: the sum over i < 200 of i * i + 1. */
const PRINTED = `sum ${Array.from({ length: 200 }, (_, i) => i * i + 1).reduce((a, b) => a + b)} true\n`;

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fc-loader-'));
  dirs.push(dir);
  return dir;
}

/**
 * Runs `bundle` through the built loader in a fresh process (argv after the script: `argv`):
 * what it printed, and how the loader says it loaded it.
 */
function run(bundle: string, env: Record<string, string> = {}, argv: string[] = []): { out: string; cached: boolean } {
  const file = join(tempDir(), 'run.mjs');
  writeFileSync(
    file,
    [
      `process.argv = [process.argv[0], 'bundle', ...${JSON.stringify(argv)}];`,
      `const m = await import(${JSON.stringify(loader)});`,
      `process.on('exit', () => process.stderr.write('\\nREPORT ' + JSON.stringify(m.bundleRun())));`,
      `m.runBundle(new URL(${JSON.stringify(pathToFileURL(bundle).href)}));`,
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [file], {
    env: { ...process.env, FOUNTCAST_CODE_CACHE: '', FOUNTCAST_WRITE_CODE_CACHE: '', ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const line = r.stderr.split('\n').find((l) => l.startsWith('REPORT '));
  expect(line, r.stderr).toBeDefined();
  return { out: r.stdout, cached: (JSON.parse(line!.slice(7)) as { cached: boolean }).cached };
}

/** A classic script as the build makes them: CommonJS, a few functions, something to print. */
function bundle(): string {
  const file = join(tempDir(), 'b.cjs');
  const fns = Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i} + require('node:path').sep.length; }`).join('\n');
  writeFileSync(file, `${fns}\nlet s = 0;\nfor (let i = 0; i < 200; i++) s += eval('f' + i)(i);\nconsole.log('sum', s, __filename.endsWith('b.cjs'));\n`);
  return file;
}

describe('runBundle: a bundle run with its V8 code cache', () => {
  it('runs a bundle as a CommonJS module without a cache, and writes one only when asked', () => {
    const b = bundle();
    expect(run(b)).toEqual({ out: PRINTED, cached: false });
    expect(existsSync(`${b}.cache`)).toBe(false);
    expect(run(b, { FOUNTCAST_WRITE_CODE_CACHE: '1' }).cached).toBe(false);
    expect(existsSync(`${b}.cache`)).toBe(true);
  });

  it('takes the cache the next time; ignores it with FOUNTCAST_CODE_CACHE=0, and one that does not fit', () => {
    const b = bundle();
    run(b, { FOUNTCAST_WRITE_CODE_CACHE: '1' });
    expect(run(b)).toEqual({ out: PRINTED, cached: true });
    expect(run(b, { FOUNTCAST_CODE_CACHE: '0' }).cached).toBe(false);
    // Garbage, and a cache of another source: V8 refuses both, and the bundle runs as it is.
    writeFileSync(`${b}.cache`, Buffer.alloc(4096, 7));
    expect(run(b)).toEqual({ out: PRINTED, cached: false });
    const other = bundle();
    writeFileSync(other, `console.log('other');\n`);
    run(other, { FOUNTCAST_WRITE_CODE_CACHE: '1' });
    writeFileSync(`${b}.cache`, readFileSync(`${other}.cache`));
    expect(run(b)).toEqual({ out: PRINTED, cached: false });
  });

  it('says what to do when the bundle is missing', () => {
    const file = join(tempDir(), 'run.mjs');
    writeFileSync(file, `const m = await import(${JSON.stringify(loader)}); m.runBundle(new URL('file:///nonexistent/fc.cjs'));`);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('/nonexistent/fc.cjs cannot be read (ENOENT): run "npm run build"');
  });

  it('the build made the command line’s cache, and the command line takes it', () => {
    expect(existsSync(join(dist, 'cli.cjs.cache'))).toBe(true);
    expect(existsSync(join(dist, 'sender/streamWorker.cjs.cache'))).toBe(true);
    expect(existsSync(join(dist, 'sender/fileHashWorker.cjs.cache'))).toBe(true);
    const r = run(join(dist, 'cli.cjs'), {}, ['--version']);
    expect(r.out).toMatch(/^\d+\.\d+\.\d+ \(wire protocol \d+\)/);
    expect(r.cached).toBe(true);
  });

  it('the package’s bin is the CommonJS stub, and it and the usual path both run the command line', () => {
    const pkg = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.fountcast).toBe('dist/cli.start.cjs');
    for (const entry of ['cli.start.cjs', 'cli.js']) {
      const r = spawnSync(process.execPath, [join(dist, entry), '--version'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+ \(wire protocol \d+\)/);
    }
    // Started as CommonJS, the process never loads the ES-module loader's module jobs; the ES stub does.
    const probe = join(tempDir(), 'probe.cjs');
    writeFileSync(probe, `process.on('exit', () => console.error('ESM ' + process.moduleLoadList.includes('NativeModule internal/modules/esm/module_job')));`);
    const esm = (entry: string): string | undefined =>
      spawnSync(process.execPath, ['-r', probe, join(dist, entry), '--version'], { encoding: 'utf8' })
        .stderr.split('\n')
        .find((l) => l.startsWith('ESM '));
    expect(esm('cli.start.cjs')).toBe('ESM false');
    expect(esm('cli.js')).toBe('ESM true');
  });
});
