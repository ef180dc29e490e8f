import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACING_NICE, PacingPriority, SATURATED_INTERVALS } from '../../util/threadPriority.js';

describe('PacingPriority', () => {
  it('starts raised and stays raised through a busy start shorter than SATURATED_INTERVALS', () => {
    const p = new PacingPriority();
    expect(p.nice).toBe(PACING_NICE);
    for (let i = 0; i < SATURATED_INTERVALS - 1; i++) expect(p.update(0.99)).toBeUndefined();
    expect(p.update(0.5)).toBeUndefined(); // a pacing interval resets the count
    for (let i = 0; i < SATURATED_INTERVALS - 1; i++) p.update(0.97);
    expect(p.nice).toBe(PACING_NICE);
  });

  it('returns to normal after SATURATED_INTERVALS saturated intervals in a row, and is raised again once the thread sleeps', () => {
    const p = new PacingPriority(-5, 0);
    const changes: (number | undefined)[] = [];
    for (let i = 0; i < SATURATED_INTERVALS; i++) changes.push(p.update(1));
    expect(changes.slice(0, -1).every((c) => c === undefined)).toBe(true);
    expect(changes.at(-1)).toBe(0);
    expect(p.nice).toBe(0);
    // Between the thresholds nothing changes (hysteresis), and NaN is ignored.
    expect(p.update(0.9)).toBeUndefined();
    expect(p.update(Number.NaN)).toBeUndefined();
    expect(p.nice).toBe(0);
    expect(p.update(0.6)).toBe(-5);
    expect(p.nice).toBe(-5);
  });
});

describe('setThreadNice', () => {
  const built = fileURLToPath(new URL('../../dist/util/threadPriority.js', import.meta.url));
  // In a child process, so this test's own thread keeps its priority. Lowering a priority (a
  // positive nice) is always permitted.
  it.runIf(process.platform === 'linux')('sets the calling thread\'s nice value, not the process\'s', () => {
    expect(existsSync(built), 'dist/ is built by npm ci (prepare); run npm run build').toBe(true);
    const script = `
      import { setThreadNice } from ${JSON.stringify(built)};
      import { readFileSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      const niceOf = (path) => Number(readFileSync(path, 'utf8').split(') ')[1].split(' ')[16]);
      const before = niceOf('/proc/thread-self/stat');
      const worker = new Worker(\`
        import { setThreadNice } from \${JSON.stringify(${JSON.stringify(built)})};
        import { readFileSync } from 'node:fs';
        import { parentPort } from 'node:worker_threads';
        const ok = setThreadNice(19);
        parentPort.postMessage({ ok, nice: Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16]) });
      \`, { eval: true, type: 'module' });
      worker.once('message', (m) => {
        console.log(JSON.stringify({ ...m, before, main: niceOf('/proc/thread-self/stat') }));
        process.exit(0);
      });
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { ok: boolean; nice: number; before: number; main: number };
    expect(out.ok).toBe(true);
    expect(out.nice).toBe(19);
    expect(out.main).toBe(out.before);
  });
});
