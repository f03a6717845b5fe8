import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputTooLargeError, MiB, readInputText, sizeText } from './input-file.js';

const dir = mkdtempSync(join(tmpdir(), 'cofw-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('input files read whole, within a limit', () => {
  it('reads a file up to the limit exactly, as UTF-8', () => {
    const f = join(dir, 'ok');
    writeFileSync(f, 'é\n*filter\n');
    expect(readInputText(f, 11)).toBe('é\n*filter\n');
  });

  it('refuses a regular file over the limit by its size, before reading it', () => {
    const f = join(dir, 'big');
    writeFileSync(f, '');
    truncateSync(f, 65 * MiB); // sparse: nothing is written or read
    const e = (() => {
      try {
        readInputText(f, 64 * MiB);
      } catch (e) {
        return e;
      }
    })();
    expect(e).toBeInstanceOf(InputTooLargeError);
    expect(e).toMatchObject({ size: 65 * MiB, limit: 64 * MiB, message: `${f}: 65 MiB, over the limit of 64 MiB` });
  });

  it('stops reading what is not a regular file once more than the limit has come', () => {
    // /dev/zero never ends.
    expect(() => readInputText('/dev/zero', 3 * MiB + 5)).toThrow(new InputTooLargeError('/dev/zero', undefined, 3 * MiB + 5));
  });

  it('passes on what fs says of a missing file', () => {
    expect(() => readInputText(join(dir, 'none'), 10)).toThrow(/ENOENT/);
  });

  it('says sizes as people read them', () => {
    expect([sizeText(512), sizeText(1536), sizeText(64 * MiB), sizeText(1.25 * MiB)]).toEqual(['512 bytes', '1.5 KiB', '64 MiB', '1.3 MiB']);
  });
});
