/** A receiver behind a command: its stderr relayed under its name, its exit in its own words. */
import { describe, expect, it } from 'vitest';
import { commandPeer, StderrRelay } from '../../sender/commandPeer.js';

function recorder() {
  const lines: [string, string][] = [];
  const at = (level: string) => (_fields: object, msg: string) => void lines.push([level, msg]);
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('StderrRelay', () => {
  it("keeps the remote fountcast's levels, shows anything else as a warning, and remembers the last line", () => {
    const r = recorder();
    const relay = new StderrRelay('pc7', r.log as never);
    relay.push('[12:00:00.000] INFO: receiving a.iso\n    file: "a.iso"\n[12:00:01.5');
    relay.push('00] ERROR: cannot write /srv: EACCES\r\nroot@pc7: Permission denied (publickey).\n');
    relay.push('{"level":40,"time":1,"msg":"a JSON warning"}\n{"not":"a record"}\n\x1b[31mred\x1b[0m');
    relay.end();
    expect(r.lines).toEqual([
      ['info', '[pc7] receiving a.iso'],
      ['debug', '[pc7] file: "a.iso"'],
      ['error', '[pc7] cannot write /srv: EACCES'],
      ['warn', '[pc7] root@pc7: Permission denied (publickey).'],
      ['warn', '[pc7] a JSON warning'],
      ['warn', '[pc7] {"not":"a record"}'],
      ['warn', '[pc7] red'],
    ]);
    expect(relay.last).toBe('red');
  });

  it("reads the remote receiver's summary line as news and its --json events by kind", () => {
    const r = recorder();
    const relay = new StderrRelay('pc7', r.log as never);
    relay.push('received a.iso (1.4 MiB) in 0.08 s, 153 Mbit/s, SHA-256 verified, stored at /srv/a.iso\n');
    relay.push('{"event":"progress","bytes":1}\n{"event":"error","kind":"transfer","message":"disk full"}\n');
    relay.end();
    expect(r.lines).toEqual([
      ['info', '[pc7] received a.iso (1.4 MiB) in 0.08 s, 153 Mbit/s, SHA-256 verified, stored at /srv/a.iso'],
      ['debug', '[pc7] {"event":"progress","bytes":1}'],
      ['error', '[pc7] disk full'],
    ]);
  });

  it('cuts a line that never ends instead of holding it all', () => {
    const r = recorder();
    const relay = new StderrRelay('pc7', r.log as never);
    for (let i = 0; i < 100; i++) relay.push('x'.repeat(10_000));
    relay.end();
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]![1].length).toBeLessThan(2100);
  });
});

describe('commandPeer', () => {
  it('runs the command with /bin/sh -c; its stdout and stdin are the stream; a failure is its last line and status', async () => {
    const r = recorder();
    const link = commandPeer('echoer', 'read line; echo "got $line"; echo "it broke" >&2; exit 3', r.log as never).open();
    const out: Buffer[] = [];
    link.stream.on('data', (b: Buffer) => out.push(b));
    link.stream.end('ping\n');
    expect(await link.exited).toBe('it broke (exit status 3)');
    expect(Buffer.concat(out).toString()).toBe('got ping\n');
    expect(r.lines).toContainEqual(['warn', '[echoer] it broke']);
  });

  it('a clean exit is no failure; kill() ends a command that would run for ever', async () => {
    const ok = commandPeer('ok', 'exit 0', recorder().log as never).open();
    expect(await ok.exited).toBeUndefined();
    const forever = commandPeer('sleeper', 'exec sleep 1000', recorder().log as never).open();
    forever.kill();
    expect(await forever.exited).toBe('killed by SIGTERM');
  });
});
