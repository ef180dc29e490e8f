/** send --to: ssh:// URIs, brace lists, and the command lines each target runs. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expandBraces, parseSshTarget, parseSshTargets, shellQuote, sshCommandLine, SshTargetError, targetNames } from '../../sender/sshTarget.js';

describe('expandBraces (as bash)', () => {
  it.each([
    ['lab-pc-{01..03}', ['lab-pc-01', 'lab-pc-02', 'lab-pc-03']],
    ['pc{8..11}', ['pc8', 'pc9', 'pc10', 'pc11']],
    ['pc{001..3}', ['pc001', 'pc002', 'pc003']],
    ['{a,b}{1..2}', ['a1', 'a2', 'b1', 'b2']],
    ['x{a,{b,c}d}y', ['xay', 'xbdy', 'xcdy']],
    ['{3..1}', ['3', '2', '1']],
    ['{1..10..4}', ['1', '5', '9']],
    ['{a..c}', ['a', 'b', 'c']],
    ['{-1..1}', ['-1', '0', '1']],
    ['{a,}b', ['ab', 'b']],
    ['no-braces', ['no-braces']],
    ['{single}', ['{single}']],
    ['{unclosed', ['{unclosed']],
    ['{x}{1..2}', ['{x}1', '{x}2']],
  ])('%s', (text, expected) => expect(expandBraces(text)).toEqual(expected));

  it('refuses an expansion past the bound instead of running it', () => {
    expect(() => expandBraces('h{1..100000}')).toThrow(SshTargetError);
    expect(() => expandBraces('h{1..200}{1..200}')).toThrow(/more than 10000/);
  });
});

describe('parseSshTarget', () => {
  it('takes user, host, port and path; percent-escapes decoded; no path is the login directory', () => {
    expect(parseSshTarget('ssh://admin@lab-pc-01:2222/srv/images/')).toEqual({
      uri: 'ssh://admin@lab-pc-01:2222/srv/images/',
      user: 'admin',
      host: 'lab-pc-01',
      port: 2222,
      out: '/srv/images/',
    });
    expect(parseSshTarget('ssh://pc7')).toEqual({ uri: 'ssh://pc7', host: 'pc7', out: '.' });
    expect(parseSshTarget('ssh://pc7/my%20files/a.iso').out).toBe('/my files/a.iso');
    expect(parseSshTarget('ssh://pc7/~/in/').out).toBe('in/');
    expect(parseSshTarget('ssh://[2001:db8::7]:22/x')).toMatchObject({ host: '2001:db8::7', port: 22, out: '/x' });
    expect(parseSshTarget('ssh://10.0.0.7/x')).toMatchObject({ host: '10.0.0.7' });
  });

  it.each([
    ['http://pc7/x', /not an ssh:\/\/ URI/],
    ['ssh://-oProxyCommand=touch%20x/x', /no valid host/],
    ['ssh://-l@pc7/x', /user name/],
    ['ssh://pc7:0/x', /port outside/],
    ['ssh://pc7:65536/x', /port outside/],
    ['ssh://pc7:/x', /port outside/],
    ['ssh:///x', /no valid host/],
    ['ssh://[zz::1]/x', /no valid host/],
    ['ssh://pc7/%zz', /%-escape/],
    ['ssh://pc7/a%00b', /NUL/],
  ])('refuses %s', (uri, why) => expect(() => parseSshTarget(uri)).toThrow(why));

  it('expands brace lists in --to values, in order', () => {
    expect(parseSshTargets(['ssh://pc{1,2}/a', 'ssh://pc3/b']).map((t) => `${t.host}${t.out}`)).toEqual(['pc1/a', 'pc2/a', 'pc3/b']);
  });
});

describe('the command lines', () => {
  it('quotes for the local and then the remote shell, so a path is never interpreted', () => {
    const path = '/srv/it\'s $(touch x) `y` \\ "q"/';
    const t = parseSshTarget(`ssh://admin@pc7:2222${encodeURI(path)}`);
    expect(t.out).toBe(path);
    // printf stands in for ssh, then for the remote fountcast: each shows the words it was given.
    const show = "printf '%s\\n'";
    const local = execFileSync('/bin/sh', ['-c', sshCommandLine(t, { sshCommand: show, remoteFountcast: show })], { encoding: 'utf8' }).split('\n');
    expect(local.slice(0, 6)).toEqual(['-T', '-o', 'BatchMode=yes', '-p', '2222', 'admin@pc7']);
    const remote = execFileSync('/bin/sh', ['-c', local[6]!], { encoding: 'utf8' });
    expect(remote).toBe(`receive\n--stdio\n--out\n${path}\n`);
    expect(sshCommandLine(parseSshTarget('ssh://pc7/srv/'))).toBe("ssh -T -o BatchMode=yes pc7 'fountcast receive --stdio --out /srv/'");
    // A verbose sender asks the remote side for as much.
    expect(sshCommandLine(parseSshTarget('ssh://pc7/srv/'), { remoteVerbosity: 2 })).toBe(
      "ssh -T -o BatchMode=yes pc7 'fountcast receive --stdio -vv --out /srv/'",
    );
  });

  it('shellQuote leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('/srv/images/')).toBe('/srv/images/');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('names targets by host, adding the path only where two share a host', () => {
    const targets = parseSshTargets(['ssh://root@h:22/a', 'ssh://root@h:22/b', 'ssh://[::1]/c', 'ssh://pc7/d']);
    expect(targetNames(targets)).toEqual(['root@h:22:/a', 'root@h:22:/b', '[::1]', 'pc7']);
  });
});
