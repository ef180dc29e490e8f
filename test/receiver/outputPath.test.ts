import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsafeOutputPathError } from '../../receiver/errors.js';
import { checkFileName, resolveOutputPath, stagingIdOf, stagingPaths } from '../../receiver/outputPath.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fountcast-outpath-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ID = '0123456789abcdef0123456789abcdef';
const PART_NAME = /^\.(.+)\.([0-9a-f]{32})\.fountcast-part$/;

describe('checkFileName', () => {
  const hostile = ['', '.', '..', '../etc/passwd', 'a/b', 'a\\b', '..\\x', '/etc/passwd', 'x\0y', 'C:evil', 'c:\\x', 'a'.repeat(256), 'é'.repeat(128)];
  for (const name of hostile) {
    it(`refuses ${JSON.stringify(name.slice(0, 20))}${name.length > 20 ? '…' : ''}`, () => {
      expect(() => checkFileName(name)).toThrow(UnsafeOutputPathError);
      expect(() => resolveOutputPath(dir, name)).toThrow(UnsafeOutputPathError);
    });
  }

  it('accepts ordinary names, dots inside, and 255 bytes', () => {
    for (const name of ['file.bin', '..hidden', 'a..b', '.profile', 'space name', 'ünïcode', 'a'.repeat(255)]) {
      expect(() => checkFileName(name)).not.toThrow();
    }
  });

  it('error has the stable name', () => {
    try {
      checkFileName('../x');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).name).toBe('UnsafeOutputPathError');
    }
  });
});

describe('resolveOutputPath', () => {
  it('an existing directory gets <out>/<name>, staged next to it under the content id', () => {
    const { finalPath } = resolveOutputPath(dir, 'data.bin');
    expect(finalPath).toBe(join(dir, 'data.bin'));
    const { partPath, statePath } = stagingPaths(finalPath, ID);
    expect(dirname(partPath)).toBe(dir);
    expect(PART_NAME.exec(basename(partPath))?.slice(1)).toEqual(['data.bin', ID]);
    expect(basename(statePath)).toBe(`.data.bin.${ID}.fountcast-state`);
  });

  it('staging names are the same for the same content (a restarted receiver finds them)', () => {
    expect(stagingPaths(join(dir, 'data.bin'), ID)).toEqual(stagingPaths(join(dir, 'data.bin'), ID));
    expect(stagingPaths(join(dir, 'data.bin'), ID).partPath).not.toBe(stagingPaths(join(dir, 'data.bin'), 'f'.repeat(32)).partPath);
  });

  it("stagingIdOf recognises this file's staging names, older random ones, and nothing else", () => {
    const { prefix } = stagingPaths(join(dir, 'a.bin'), ID);
    expect(stagingIdOf(`.a.bin.${ID}.fountcast-part`, prefix)).toBe(ID);
    expect(stagingIdOf(`.a.bin.${ID}.fountcast-state.tmp`, prefix)).toBe(ID);
    expect(stagingIdOf('.a.bin.0123456789abcdef.fountcast-part', prefix)).toBe('0123456789abcdef');
    expect(stagingIdOf(`.a.bin.x.${ID}.fountcast-part`, prefix)).toBeUndefined();
    expect(stagingIdOf('a.bin', prefix)).toBeUndefined();
  });

  it('a trailing slash means a directory, which must exist', () => {
    expect(resolveOutputPath(`${dir}/`, 'x').finalPath).toBe(join(dir, 'x'));
    expect(() => resolveOutputPath(join(dir, 'missing') + '/', 'x')).toThrow(/does not exist/);
  });

  it('a non-existing path in an existing directory is the exact file path', () => {
    const out = join(dir, 'chosen-name.iso');
    const { finalPath } = resolveOutputPath(out, 'manifest-name.iso');
    expect(finalPath).toBe(out);
    expect(PART_NAME.exec(basename(stagingPaths(finalPath, ID).partPath))?.[1]).toBe('chosen-name.iso');
  });

  it('the exact file path needs an existing parent', () => {
    expect(() => resolveOutputPath(join(dir, 'nope', 'file'), 'x')).toThrow(UnsafeOutputPathError);
  });

  it('still refuses a hostile manifest name when out is an exact path', () => {
    expect(() => resolveOutputPath(join(dir, 'ok.bin'), '../evil')).toThrow(UnsafeOutputPathError);
  });

  it('an existing regular file may be replaced', () => {
    const out = join(dir, 'existing.bin');
    writeFileSync(out, 'old');
    expect(resolveOutputPath(out, 'x').finalPath).toBe(out);
    expect(resolveOutputPath(dir, 'existing.bin').finalPath).toBe(out);
  });

  it('refuses a symlink at the final path (even one to a regular file)', () => {
    const target = join(dir, 'target.bin');
    writeFileSync(target, 't');
    symlinkSync(target, join(dir, 'link.bin'));
    symlinkSync(join(dir, 'dangling-target'), join(dir, 'dangling.bin'));
    expect(() => resolveOutputPath(dir, 'link.bin')).toThrow(/symbolic link/);
    expect(() => resolveOutputPath(join(dir, 'link.bin'), 'x')).toThrow(/symbolic link/);
    expect(() => resolveOutputPath(dir, 'dangling.bin')).toThrow(/symbolic link/);
    expect(existsSync(target)).toBe(true);
  });

  it('refuses a directory at the final path', () => {
    mkdirSync(join(dir, 'sub'));
    mkdirSync(join(dir, 'sub', 'inner'));
    expect(() => resolveOutputPath(join(dir, 'sub'), 'inner')).toThrow(/directory/);
  });

  it('refuses a device', () => {
    expect(() => resolveOutputPath('/dev/null', 'x')).toThrow(/not a regular file/);
    expect(() => resolveOutputPath('/dev', 'null')).toThrow(/not a regular file/);
  });

  it('keeps the staging names within 255 bytes for a 255-byte name', () => {
    const name = 'é'.repeat(127); // 254 bytes
    const paths = stagingPaths(resolveOutputPath(dir, name).finalPath, ID);
    for (const temp of [basename(paths.partPath), basename(paths.statePath)]) {
      expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255);
      expect(temp).not.toContain('\ufffd');
    }
    expect(basename(paths.partPath)).toMatch(PART_NAME);
  });
});
