import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adjustedNice, PACING_NICE, PacingPriority, SATURATED_INTERVALS } from '../../util/threadPriority.js';

describe('PacingPriority', () => {
  it('starts raised and stays raised through a busy start shorter than SATURATED_INTERVALS', () => {
    const p = new PacingPriority(PACING_NICE, 0);
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

describe('adjustedNice', () => {
  it('adjusts relative to the starting value, as nice -n, within -20..19', () => {
    expect(adjustedNice(0, PACING_NICE)).toBe(-5);
    expect(adjustedNice(10, PACING_NICE)).toBe(5);
    expect(adjustedNice(-18, PACING_NICE)).toBe(-20);
    expect(adjustedNice(15, 10)).toBe(19);
  });
});

describe('adjustThreadNice', () => {
  const built = fileURLToPath(new URL('../../dist/util/threadPriority.js', import.meta.url));
  // In a child process, so this test's own thread keeps its priority. Lowering a priority (a
  // positive nice) is always permitted.
  it.runIf(process.platform === 'linux')("adjusts the calling thread's nice value, not the process's (skipped off Linux)", () => {
    expect(existsSync(built), 'dist/ is built by npm ci (prepare); run npm run build').toBe(true);
    const script = `
      import { readFileSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      const niceOf = (path) => Number(readFileSync(path, 'utf8').split(') ')[1].split(' ')[16]);
      const before = niceOf('/proc/thread-self/stat');
      const worker = new Worker(\`
        import { adjustThreadNice } from \${JSON.stringify(${JSON.stringify(built)})};
        import { readFileSync } from 'node:fs';
        import { parentPort } from 'node:worker_threads';
        const ok = adjustThreadNice(3);
        parentPort.postMessage({ ok, nice: Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16]) });
      \`, { eval: true, type: 'module' });
      worker.once('message', (m) => {
        console.log(JSON.stringify({ ...m, before, main: niceOf('/proc/thread-self/stat') }));
        process.exit(0);
      });
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
      ok: boolean;
      nice: number;
      before: number;
      main: number;
    };
    expect(out.ok).toBe(true);
    expect(out.nice).toBe(Math.min(19, out.before + 3));
    expect(out.main).toBe(out.before);
  });

  // Raising needs root or CAP_SYS_NICE (CI runs as root); otherwise the follower is refused.
  it.runIf(process.platform === 'linux')(
    'followPacingPriority raises a paced thread, returns it after sustained saturation, raises it again once it sleeps (skipped off Linux)',
    () => {
      const script = `
      import { followPacingPriority, SATURATED_INTERVALS } from ${JSON.stringify(built)};
      import { readFileSync } from 'node:fs';
      const nice = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16]);
      const before = nice();
      const out = { before, unpaced: followPacingPriority(false) === undefined, unchanged: followPacingPriority(true, 0) === undefined };
      const f = followPacingPriority(true, -1);
      out.raised = f !== undefined;
      if (f) {
        out.afterRaise = nice();
        for (let i = 0; i < SATURATED_INTERVALS; i++) {
          const until = performance.now() + 3;
          while (performance.now() < until); // busy: utilization 1
          f.tick();
        }
        out.afterSaturation = nice();
        await new Promise((r) => setTimeout(r, 30));
        f.tick();
        out.afterSleep = nice();
      }
      console.log(JSON.stringify(out));
    `;
      const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
      expect(out.unpaced).toBe(true);
      expect(out.unchanged).toBe(true);
      // Root always may; others only with CAP_SYS_NICE or an RLIMIT_NICE allowance.
      if (!out.raised) return expect(process.getuid?.()).not.toBe(0);
      expect(out.afterRaise).toBe(out.before - 1);
      expect(out.afterSaturation).toBe(out.before);
      expect(out.afterSleep).toBe(out.before - 1);
    },
  );
});
