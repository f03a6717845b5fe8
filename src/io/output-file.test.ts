/**
 * Output files: written to a temporary file beside their name and renamed
 * into place when complete; every failure (a missing or read-only folder, a
 * full disk) is an OutputError naming the output, and leaves an earlier
 * file of that name as it was, with no temporary file behind.
 */
import fs, { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { OutputError, OutputFile, OutputFiles, TEMP_SUFFIX, type OutputIo } from './output-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-out-'));
});

const temps = (d = dir): string[] => readdirSync(d).filter((n) => n.endsWith(TEMP_SUFFIX));

/** The file system with a disk that fills up after `room` bytes. */
function fullAfter(room: number): OutputIo {
  let used = 0;
  return {
    ...fs,
    writeSync: ((fd: number, b: Uint8Array, off: number, len: number) => {
      if (used + len > room) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
      used += len;
      return fs.writeSync(fd, b, off, len);
    }) as OutputIo['writeSync'],
  };
}

/** Runs `f` and returns what it threw. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('OutputFile', () => {
  it('writes a temporary file beside the name and renames it into place on commit', () => {
    const path = join(dir, 'out.txt');
    const f = new OutputFile(path, '--save');
    f.write('hello ');
    f.write(new TextEncoder().encode('world\n'));
    expect(existsSync(path)).toBe(false);
    expect(temps()).toHaveLength(1);
    expect(readFileSync(join(dir, temps()[0]!), 'utf8')).toBe('hello world\n');
    f.commit();
    expect(readFileSync(path, 'utf8')).toBe('hello world\n');
    expect(temps()).toEqual([]);
  });

  it('leaves an earlier file as it was until commit, and for good on discard; keeps its permissions', () => {
    const path = join(dir, 'rules.v4');
    writeFileSync(path, 'earlier\n', { mode: 0o640 });
    fs.chmodSync(path, 0o640);
    const f = new OutputFile(path, '--save');
    f.write('new\n');
    expect(readFileSync(path, 'utf8')).toBe('earlier\n');
    f.discard();
    expect(readFileSync(path, 'utf8')).toBe('earlier\n');
    expect(temps()).toEqual([]);
    const g = new OutputFile(path, '--save');
    g.write('new\n');
    g.commit();
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('a full disk is an OutputError naming the option and the path; the earlier file and no temporary file remain', () => {
    const path = join(dir, 'report.json');
    writeFileSync(path, '{"earlier":true}\n');
    const f = new OutputFile(path, '--json', fullAfter(10));
    const e = thrown(() => f.write('x'.repeat(100)));
    expect(e).toBeInstanceOf(OutputError);
    expect((e as OutputError).message).toBe(`--json ${path}: cannot write it: no space left on the device (the disk is full)`);
    expect((e as OutputError).option).toBe('--json');
    // Every later write fails the same way; commit too.
    expect(() => f.write('y')).toThrow(OutputError);
    expect(() => f.commit()).toThrow(OutputError);
    f.discard();
    expect(readFileSync(path, 'utf8')).toBe('{"earlier":true}\n');
    expect(temps()).toEqual([]);
  });

  it('refuses a missing folder, a folder whose parent is a file, a folder as the name, before creating anything', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'no', 'such', 'x.v4'), /^--save .*x\.v4: cannot write the output: the folder .*no[/\\]such does not exist; create it first$/],
      [join(file, 'x.v4'), /^--save .*x\.v4: cannot write the output: .*plain is not a folder/],
      [dir, /^--save .*: cannot write the output: it is a folder; give a file name/],
    ];
    for (const [path, message] of cases) {
      const e = thrown(() => new OutputFile(path, '--save'));
      expect(e).toBeInstanceOf(OutputError);
      expect((e as Error).message).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual(['plain']);
  });

  it('refuses a folder it cannot write in', () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    fs.chmodSync(ro, 0o555);
    // Root writes anyway; /sys refuses new files even to root.
    let canWrite = true;
    try {
      fs.accessSync(ro, fs.constants.W_OK);
    } catch {
      canWrite = false;
    }
    const path = canWrite ? '/sys/cofw-output-test.txt' : join(ro, 'x.txt');
    const e = thrown(() => new OutputFile(path, '--console'));
    expect(e).toBeInstanceOf(OutputError);
    expect((e as Error).message).toMatch(
      /^--console .*x?\.txt: (cannot write the output: the folder .* is not writable|cannot create a file in .*: permission denied)/,
    );
    expect(existsSync(path)).toBe(false);
  });

  it('writes a character device in place: /dev/full gives a full disk, /dev/null takes everything', (ctx) => {
    if (!existsSync('/dev/full')) return ctx.skip('no /dev/full here');
    const full = new OutputFile('/dev/full', '--conntrack');
    expect(full.inPlace).toBe(true);
    expect(() => full.write('table\n')).toThrow(/^--conntrack \/dev\/full: cannot write it: no space left on the device/);
    full.discard();
    const nul = new OutputFile('/dev/null', '--json');
    nul.write('{}\n');
    nul.commit();
    expect(existsSync('/dev/null')).toBe(true);
  });

  it('rewriteHead replaces the first bytes, keeping the rest', () => {
    const path = join(dir, 'cap.bin');
    const f = new OutputFile(path);
    f.write('HEAD');
    f.write('x'.repeat(3 * 1024 * 1024));
    expect(f.rewriteHead(4, new TextEncoder().encode('NEW HEADER|'))).toBe(true);
    f.write('tail');
    f.commit();
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('NEW HEADER|xxx')).toBe(true);
    expect(text.endsWith('xtail')).toBe(true);
    expect(text.length).toBe(11 + 3 * 1024 * 1024 + 4);
    expect(temps()).toEqual([]);
  });
});

describe('OutputFile in the background', () => {
  const mib = (c: string, n = 1): Buffer => Buffer.alloc(n * 1024 * 1024, c);

  it('writes in order with writes at once, gives each buffer back, and finishes once they are done', async () => {
    const path = join(dir, 'cap.bin');
    const f = new OutputFile(path, '--accepted');
    const back: string[] = [];
    f.write('HEAD');
    // 12 MiB: the file is also synced meanwhile.
    for (const c of 'abcdef') f.writeLater(mib(c, 2), (b) => back.push(String.fromCharCode(b[0]!)));
    f.write('|');
    f.writeLater(mib('g'), (b) => back.push(String.fromCharCode(b[0]!)));
    f.write('tail');
    expect(() => f.finish()).toThrow(/writes are under way/);
    await f.finishLater();
    expect(back.sort().join('')).toBe('abcdefg');
    f.commit();
    const b = readFileSync(path);
    expect(b.length).toBe(4 + 12 * 1024 * 1024 + 1 + 1024 * 1024 + 4);
    expect(b.toString('latin1', 0, 5)).toBe('HEADa');
    expect(b.toString('latin1', 4 + 12 * 1024 * 1024 - 1, 4 + 12 * 1024 * 1024 + 2)).toBe('f|g');
    expect(b.toString('latin1', b.length - 5)).toBe('gtail');
    expect(temps()).toEqual([]);
  });

  it('discarded while writes are under way: the temporary file goes, an earlier file stays as it was', async () => {
    const path = join(dir, 'cap.bin');
    writeFileSync(path, 'earlier');
    const f = new OutputFile(path);
    const done = new Promise<void>((resolve) => f.writeLater(mib('x', 4), () => resolve()));
    f.discard();
    await done;
    expect(readdirSync(dir)).toEqual(['cap.bin']);
    expect(readFileSync(path, 'utf8')).toBe('earlier');
  });

  it('begun again while writes are under way: the file holds only what follows', async () => {
    const path = join(dir, 'cap.bin');
    const f = new OutputFile(path);
    f.write('old head|');
    for (let i = 0; i < 3; i++) f.writeLater(mib('o'), () => {});
    expect(f.restart()).toBe(true);
    f.write('new|');
    f.writeLater(Buffer.from('after'), () => {});
    await f.finishLater();
    f.commit();
    expect(readFileSync(path, 'utf8')).toBe('new|after');
    expect(temps()).toEqual([]);
  });

  it('a background write that fails is an OutputError from the next call, and from every later one', async () => {
    const path = join(dir, 'cap.bin');
    const f = new OutputFile(path, '--dropped');
    const spy = vi.spyOn(fs, 'write').mockImplementation(((...a: unknown[]) => {
      const cb = a[a.length - 1] as (e: Error) => void;
      setImmediate(() => cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })));
    }) as unknown as typeof fs.write);
    try {
      f.writeLater(mib('x'), () => {});
      await expect(f.settle()).rejects.toThrow(`--dropped ${path}: cannot write it: no space left on the device (the disk is full)`);
    } finally {
      spy.mockRestore();
    }
    expect(() => f.write('more')).toThrow(OutputError);
    await expect(f.finishLater()).rejects.toThrow(/no space left/);
    f.discard();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('OutputFiles', () => {
  it('commits all together: a failure finishing one leaves every earlier file as it was', () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, 'old a');
    writeFileSync(b, 'old b');
    let fsyncs = 0;
    const io: OutputIo = {
      ...fs,
      fsyncSync: ((fd: number) => {
        if (++fsyncs === 2) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        fs.fsyncSync(fd);
      }) as OutputIo['fsyncSync'],
    };
    const files = new OutputFiles(io);
    files.open(a, '--save').write('new a');
    files.open(b, '--json').write('new b');
    expect(temps()).toHaveLength(2);
    expect(() => files.commit()).toThrow(/^--json .*b\.txt: cannot write it: input\/output error/);
    expect(readFileSync(a, 'utf8')).toBe('old a');
    expect(readFileSync(b, 'utf8')).toBe('old b');
    expect(temps()).toEqual([]);
  });

  it('discard removes every temporary file and creates nothing', () => {
    const files = new OutputFiles();
    files.open(join(dir, 'a.txt')).write('a');
    files.open(join(dir, 'b.txt'));
    expect(files.temporaries()).toHaveLength(2);
    files.discard();
    expect(readdirSync(dir)).toEqual([]);
    expect(files.temporaries()).toEqual([]);
  });
});
