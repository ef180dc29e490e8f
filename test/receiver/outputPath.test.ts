import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsafeOutputPathError } from '../../receiver/errors.js';
import { checkFileName, resolveOutputPath } from '../../receiver/outputPath.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fountcast-outpath-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TEMP_NAME = /^\.(.+)\.([0-9a-f]{16})\.fountcast-part$/;

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
  it('an existing directory gets <out>/<name>, temp file next to it', () => {
    const { finalPath, tempPath } = resolveOutputPath(dir, 'data.bin');
    expect(finalPath).toBe(join(dir, 'data.bin'));
    expect(dirname(tempPath)).toBe(dir);
    const m = TEMP_NAME.exec(basename(tempPath));
    expect(m?.[1]).toBe('data.bin');
  });

  it('temp names are random per call', () => {
    const a = resolveOutputPath(dir, 'data.bin').tempPath;
    const b = resolveOutputPath(dir, 'data.bin').tempPath;
    expect(a).not.toBe(b);
  });

  it('a trailing slash means a directory, which must exist', () => {
    expect(resolveOutputPath(`${dir}/`, 'x').finalPath).toBe(join(dir, 'x'));
    expect(() => resolveOutputPath(join(dir, 'missing') + '/', 'x')).toThrow(/does not exist/);
  });

  it('a non-existing path in an existing directory is the exact file path', () => {
    const out = join(dir, 'chosen-name.iso');
    const { finalPath, tempPath } = resolveOutputPath(out, 'manifest-name.iso');
    expect(finalPath).toBe(out);
    expect(TEMP_NAME.exec(basename(tempPath))?.[1]).toBe('chosen-name.iso');
    expect(dirname(tempPath)).toBe(dir);
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

  it('keeps the temp name within 255 bytes for a 255-byte name', () => {
    const name = 'é'.repeat(127); // 254 bytes
    const { tempPath } = resolveOutputPath(dir, name);
    const temp = basename(tempPath);
    expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255);
    expect(temp).toMatch(TEMP_NAME);
    expect(temp).not.toContain('\ufffd');
  });
});
