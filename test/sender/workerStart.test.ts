import { describe, expect, it } from 'vitest';
import { StreamHandle } from '../../sender/streamHandle.js';
import type { StreamWorkerData } from '../../sender/streamMessages.js';

// A worker that cannot start (here: its script is missing) must end the stream with an error the
// server reports to the receiver, not throw out of a control-event handler and leave it hanging.
const missing = () => {
  throw new Error('worker script dist/sender/streamWorker.js is missing: run "npm run build"');
};

describe('stream worker start failures', () => {
  it('a unicast stream whose worker cannot start finishes with the reason', async () => {
    const handle = new StreamHandle({ mode: 'unicast' } as StreamWorkerData, missing);
    handle.progress('rx', {} as never); // ignored, not thrown
    handle.stop('x');
    const f = await handle.finished;
    expect(f.reason).toBe('error');
    expect(f.message).toMatch(/cannot start the stream worker: worker script .* is missing/);
    expect(f.stats.datagramsSent).toBe(0);
  });

  it('a shared stream whose worker cannot start finishes with the reason', async () => {
    const handle = new StreamHandle({ mode: 'shared' } as StreamWorkerData, missing);
    handle.join('a', 8);
    handle.stop('x');
    const f = await handle.finished;
    expect(f.reason).toBe('error');
    expect(f.message).toMatch(/cannot start the shared stream worker: worker script .* is missing/);
  });
});
