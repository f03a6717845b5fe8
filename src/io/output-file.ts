/**
 * Output files that never leave a user's file half written.
 *
 * An output is written to a temporary file in the folder it goes to
 * (`.NAME.PID-RANDOM.cofw-tmp`) and renamed over its name only when it is
 * complete, so an earlier file of that name stays as it was until then,
 * and stays as it was for good when the run fails: the temporary file is
 * removed. A name that is not a regular file (a terminal, `/dev/null`, a
 * pipe such as `/dev/stdout` or `>(jq .)`) is written in place: there is
 * nothing to rename over.
 *
 * Several outputs of one run are gathered in an OutputFiles set, which
 * checks and opens them all before anything is written, and commits them
 * together: every file is finished (written out, synced, closed) before
 * the first is renamed, so a full disk while finishing the last one leaves
 * every earlier file of those names untouched.
 *
 * Write errors are the user's to fix (a missing folder, a read-only one, a
 * full disk): they are OutputErrors whose message names the option (when
 * the caller gives one), the path and the reason in words.
 *
 * @example
 * const files = new OutputFiles();
 * const save = files.open('counters.v4', '--save'); // fails here if the folder is missing
 * save.write(text);
 * files.commit(); // or files.discard() when the run failed
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

/** A user's output cannot be written: the message names the option, the path and why. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(
    readonly path: string,
    readonly option: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The file-system calls outputs make; tests substitute failing ones (a full disk). */
export type OutputIo = Pick<
  typeof fs,
  'openSync' | 'writeSync' | 'readSync' | 'closeSync' | 'fsyncSync' | 'fchmodSync' | 'renameSync' | 'unlinkSync' | 'statSync' | 'accessSync' | 'realpathSync'
>;

/** Marks temporary output files (and lets a test find them). */
export const TEMP_SUFFIX = '.cofw-tmp';

/** `--save x.v4` or `x.v4`: how a message names an output. */
export function outputName(path: string, option?: string): string {
  return option ? `${option} ${path}` : path;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device (the disk is full)',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file is too large for its file system',
  EIO: 'input/output error (check the disk)',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  ENXIO: 'no process is reading from it',
  EPIPE: 'the reading end was closed',
  EMFILE: 'too many open files',
  EXDEV: 'the temporary file and the output are on different file systems',
};

/** An errno error as words: `no space left on the device (the disk is full)`. */
export function reasonText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && REASONS[code]) return REASONS[code];
  return e instanceof Error ? e.message : String(e);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Bytes written in the background between two syncs of the file meanwhile:
 * the disk takes the file as it comes, and the sync that finishes it has
 * only the rest to wait for.
 */
const SYNC_EVERY = 8 * 1024 * 1024;

/** What an output path names before anything is written. */
interface Target {
  /** The path written (symbolic links followed, so that a link to a file writes the file). */
  path: string;
  /** An existing regular file is replaced (and its permissions kept); a device or pipe is written in place. */
  kind: 'new' | 'replace' | 'device' | 'pipe';
  mode?: number;
}

/**
 * Checks an output path without writing: its folder exists, is a folder and
 * is writable, and the name is not a folder itself. Throws OutputError.
 */
export function checkOutputPath(path: string, option?: string, io: OutputIo = fs): void {
  target(path, option, io);
}

function target(path: string, option: string | undefined, io: OutputIo): Target {
  const name = outputName(path, option);
  const fail = (why: string, cause?: unknown): never => {
    throw new OutputError(path, option, `${name}: cannot write the output: ${why}`, cause === undefined ? undefined : { cause });
  };
  if (!path) fail('the name is empty');
  let st: fs.Stats | undefined;
  try {
    st = io.statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A missing name, or a file where a folder of the path should be: the folder check says which.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') fail(reasonText(e), e);
  }
  if (st) {
    if (st.isDirectory()) fail('it is a folder; give a file name (inside it, for example)');
    if (st.isFile()) {
      // Through a symbolic link, the file it names is replaced (as `>` would write it), not the link.
      let real = path;
      try {
        real = io.realpathSync(path);
      } catch {
        // Keep the name as given.
      }
      checkFolder(dirname(real), fail, io);
      return { path: real, kind: 'replace', mode: st.mode & 0o7777 };
    }
    // Opened by the name given: /dev/stdout resolves to a pipe's name that cannot be opened.
    if (st.isFIFO()) return { path, kind: 'pipe' };
    if (st.isCharacterDevice()) return { path, kind: 'device' };
    fail('it is neither a regular file, a pipe nor a character device');
  }
  checkFolder(dirname(resolve(path)), fail, io);
  return { path, kind: 'new' };
}

function checkFolder(dir: string, fail: (why: string, cause?: unknown) => never, io: OutputIo): void {
  let st: fs.Stats;
  try {
    st = io.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(`the folder ${dir} does not exist; create it first`, e);
    if (code === 'ENOTDIR') fail(`${dir} is not a folder (a part of the path is a file)`, e);
    return fail(`its folder ${dir}: ${reasonText(e)}`, e);
  }
  if (!st.isDirectory()) fail(`${dir} is not a folder`);
  try {
    io.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    fail(`the folder ${dir} is not writable (${reasonText(e)})`, e);
  }
}

/**
 * Writes and syncs of one descriptor under way on libuv's threads
 * (`OutputFile.writeLater`, `finishLater`). The descriptor is closed only
 * once they have ended: closed under them, its number could be given to
 * another file and written into.
 */
class Background {
  pending = 0;
  /** The first failure of a write or sync (reported by the next call on the file). */
  failure: unknown = undefined;
  /** Closes the descriptor when the last operation ends (the output was discarded or begun again meanwhile). */
  closeWhenIdle = false;
  private waiters: Array<() => void> = [];

  constructor(readonly fd: number) {}

  begin(): void {
    this.pending++;
  }

  end(e: unknown): void {
    if (e && this.failure === undefined) this.failure = e;
    if (--this.pending > 0) return;
    if (this.closeWhenIdle) fs.close(this.fd, () => {});
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when nothing is under way. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * One output file. Created (its temporary file, or the device or pipe
 * opened) by the constructor; `write` appends, `finish` writes out and
 * closes, `commit` renames into place, `discard` removes the temporary file.
 * Every failure is an OutputError naming the output.
 *
 * A temporary file may also be written in the background (`writeLater`,
 * `finishLater`): its writes and its sync then run on libuv's threads
 * while the run goes on, each write at its own position in the file.
 */
export class OutputFile {
  readonly path: string;
  readonly option: string | undefined;
  /** Written in place (a device or a pipe): nothing to rename, and nothing can be undone. */
  readonly inPlace: boolean;
  /** The file being written: the temporary file, or the path itself when in place. */
  private current: string;
  private fd: number | undefined;
  private state: 'open' | 'finished' | 'committed' | 'discarded' = 'open';
  /** The descriptor was inherited (`/dev/stdout`, `/dev/fd/3`): written, never closed. */
  private inherited = false;
  private failure: OutputError | undefined;
  /** The permissions of the file replaced, given to the temporary file. */
  private mode: number | undefined;
  /** The descriptor was opened to append (after `release`): no write of it names a position. */
  private appending = false;
  /** Background writes of the descriptor: once there are, every write of it names its position. */
  private bg: Background | undefined;
  /** Bytes written so far. */
  size = 0;
  /** `size` when the file was last synced in the background; a sync is under way. */
  private syncedAt = 0;
  private syncing = false;

  constructor(
    path: string,
    option?: string,
    private readonly io: OutputIo = fs,
  ) {
    this.option = option;
    // /dev/stdout, /dev/stderr, /dev/fd/N: the descriptor itself (a socket cannot be opened by name).
    const m = /^\/dev\/(stdout|stderr)$|^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(path);
    if (m) {
      this.path = path;
      this.current = path;
      this.inPlace = true;
      this.inherited = true;
      this.fd = m[1] === 'stdout' ? 1 : m[1] === 'stderr' ? 2 : Number(m[2]);
      try {
        fs.fstatSync(this.fd);
      } catch (e) {
        throw this.error(`descriptor ${this.fd} is not open`, e);
      }
      return;
    }
    const t = target(path, option, io);
    this.path = t.path;
    this.inPlace = t.kind === 'device' || t.kind === 'pipe';
    if (this.inPlace) {
      this.current = t.path;
      const flags = t.kind === 'pipe' ? fs.constants.O_WRONLY | fs.constants.O_NONBLOCK : 'w';
      try {
        this.fd = io.openSync(t.path, flags);
      } catch (e) {
        throw this.error('cannot open it', e);
      }
      return;
    }
    this.mode = t.mode;
    this.current = tempName(t.path);
    this.fd = this.createTemporary(`cannot create a file in ${dirname(resolve(t.path))}`);
  }

  /** Creates `current` (it must not exist) with the permissions of the file it replaces; returns its descriptor. */
  private createTemporary(what: string): number {
    let fd: number;
    try {
      fd = this.io.openSync(this.current, 'wx', 0o666);
    } catch (e) {
      throw this.error(what, e);
    }
    if (this.mode !== undefined) {
      try {
        this.io.fchmodSync(fd, this.mode);
      } catch {
        // The permissions of the earlier file are kept when possible.
      }
    }
    return fd;
  }

  /** The temporary file while the output is written (undefined when written in place or once done). */
  get temporary(): string | undefined {
    return this.inPlace || this.state === 'committed' || this.state === 'discarded' ? undefined : this.current;
  }

  private error(what: string, e: unknown): OutputError {
    return new OutputError(this.path, this.option, `${outputName(this.path, this.option)}: ${what}: ${reasonText(e)}`, { cause: e });
  }

  private ensureOpen(): number {
    if (!this.failure && this.bg?.failure !== undefined) this.failure = this.error('cannot write it', this.bg.failure);
    if (this.failure) throw this.failure;
    if (this.state !== 'open') throw new Error(`${this.path}: write after the output was ${this.state}`);
    if (this.fd === undefined) {
      try {
        this.fd = this.io.openSync(this.current, 'a');
      } catch (e) {
        throw (this.failure = this.error('cannot write it', e));
      }
      this.appending = true;
    }
    return this.fd;
  }

  /** Throws when background writes are under way (what follows needs the file as written). */
  private assertIdle(what: string): void {
    if (this.bg && this.bg.pending > 0) throw new Error(`${this.path}: ${what} while writes are under way (await settle() first)`);
  }

  /**
   * The descriptor is given up: closed now, or once the background writes
   * under way end. Its background writes, if any, are forgotten.
   */
  private dropDescriptor(): void {
    const fd = this.fd;
    const bg = this.bg;
    this.fd = undefined;
    this.bg = undefined;
    if (fd === undefined || this.inherited) return;
    if (bg && bg.pending > 0) bg.closeWhenIdle = true;
    else closeQuietly(this.io, fd);
  }

  /** Appends bytes (or UTF-8 text). A failure (a full disk) is an OutputError, and so is every later write. */
  write(data: Uint8Array | string): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const fd = this.ensureOpen();
    // After background writes the descriptor's own offset means nothing: each write says where it goes.
    const at = this.bg ? this.size : -1;
    let o = 0;
    while (o < b.length) {
      try {
        o += at < 0 ? this.io.writeSync(fd, b, o, b.length - o) : this.io.writeSync(fd, b, o, b.length - o, at + o);
      } catch (e) {
        // A pipe opened without blocking: wait for its reader.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(sleepCell, 0, 0, 1);
          continue;
        }
        throw (this.failure = this.error('cannot write it', e));
      }
    }
    this.size += b.length;
  }

  /** Can the file be written in the background: a temporary file written through node's fs, by position? */
  private get background(): boolean {
    return !this.inPlace && this.io === fs && !this.appending;
  }

  /**
   * Appends `b` by a write on one of libuv's threads, while the caller goes
   * on: `b` is the file's until `done(b)` is called, then the caller's
   * again. Where the file cannot be written in the background (a pipe, a
   * device, a test's file system), `b` is written at once and `done` called
   * before returning. A failure (a full disk) is an OutputError from a later
   * call (a write, `settle`, `finishLater`).
   */
  writeLater(b: Uint8Array, done: (b: Uint8Array) => void): void {
    const fd = this.ensureOpen();
    if (!this.background || b.length === 0) {
      this.write(b);
      done(b);
      return;
    }
    const bg = (this.bg ??= new Background(fd));
    const at = this.size;
    this.size += b.length;
    bg.begin();
    const from = (o: number): void => {
      fs.write(fd, b, o, b.length - o, at + o, (e, n) => {
        // A short write (rare: a file system near full) goes on with the rest; writing nothing is a failure.
        if (!e && n > 0 && o + n < b.length) return from(o + n);
        bg.end(e ?? (n > 0 ? undefined : Object.assign(new Error('nothing written'), { code: 'EIO' })));
        done(b);
      });
    };
    from(0);
    if (!this.syncing && this.size - this.syncedAt >= SYNC_EVERY) {
      this.syncing = true;
      this.syncedAt = this.size;
      bg.begin();
      fs.fdatasync(fd, (e) => {
        this.syncing = false;
        bg.end(e);
      });
    }
  }

  /** Resolves once the background writes under way have ended; an OutputError when one failed. */
  async settle(): Promise<void> {
    const bg = this.bg;
    if (!bg) return;
    await bg.idle();
    if (bg.failure !== undefined) throw (this.failure ??= this.error('cannot write it', bg.failure));
  }

  /** Closes the descriptor until the next write (for outputs appended to now and then). */
  release(): void {
    if (this.fd === undefined || this.inPlace) return;
    this.assertIdle('released');
    const fd = this.fd;
    this.fd = undefined;
    this.bg = undefined;
    try {
      this.io.closeSync(fd);
    } catch (e) {
      throw (this.failure = this.error('cannot write it', e));
    }
  }

  /**
   * Empties the file, to be written again from the start (a replay done
   * again): a new temporary file replaces the one written so far (whose
   * background writes, if any are under way, end in a file no longer
   * named). Not possible in place: returns false there.
   */
  restart(): boolean {
    if (this.inPlace || this.state !== 'open') return false;
    this.ensureOpen();
    this.dropDescriptor();
    unlinkQuietly(this.io, this.current);
    this.current = tempName(this.path);
    try {
      this.fd = this.createTemporary('cannot write it');
    } catch (e) {
      throw (this.failure = e as OutputError);
    }
    this.appending = false;
    this.size = 0;
    this.syncedAt = 0;
    return true;
  }

  /**
   * Replaces the first `oldLength` bytes written with `head` (of any
   * length), copying the rest into a new temporary file. Not possible in
   * place: returns false there. Not while background writes are under way.
   */
  rewriteHead(oldLength: number, head: Uint8Array): boolean {
    if (this.inPlace) return false;
    this.assertIdle('rewritten');
    this.ensureOpen();
    this.release();
    const old = this.current;
    const next = tempName(this.path);
    let out: number | undefined;
    let src: number | undefined;
    try {
      out = this.io.openSync(next, 'wx', 0o666);
      src = this.io.openSync(old, 'r');
      writeAll(this.io, out, head);
      const buf = Buffer.alloc(1024 * 1024);
      for (let pos = oldLength; ;) {
        const n = this.io.readSync(src, buf, 0, buf.length, pos);
        if (n <= 0) break;
        writeAll(this.io, out, buf.subarray(0, n));
        pos += n;
      }
    } catch (e) {
      closeQuietly(this.io, src);
      closeQuietly(this.io, out);
      unlinkQuietly(this.io, next);
      throw (this.failure = this.error('cannot write it', e));
    }
    closeQuietly(this.io, src);
    try {
      const st = this.io.statSync(old);
      this.io.fchmodSync(out, st.mode & 0o7777);
    } catch {
      // Permissions as created.
    }
    this.io.closeSync(out);
    unlinkQuietly(this.io, old);
    this.current = next;
    this.size += head.length - oldLength;
    return true;
  }

  /** Writes out and closes (the temporary file is synced to the disk); the file is not yet in place. Not while background writes are under way. */
  finish(): void {
    this.finishSynced(false);
  }

  /** `finish` after the background writes under way, with the file synced on one of libuv's threads. */
  async finishLater(): Promise<void> {
    if (this.state !== 'open' || this.failure || !this.background) return this.finish();
    const fd = this.ensureOpen();
    await this.settle();
    // Discarded meanwhile: nothing more to do.
    if (this.state !== 'open' || this.fd !== fd) return;
    const bg = (this.bg ??= new Background(fd));
    bg.begin();
    let failure: unknown;
    await new Promise<void>((resolve) =>
      fs.fsync(fd, (e) => {
        failure = e ?? undefined;
        bg.end(undefined);
        resolve();
      }),
    );
    // Discarded meanwhile: nothing more to do.
    if (this.state !== 'open' || this.fd !== fd) return;
    if (failure !== undefined) {
      this.dropDescriptor();
      throw (this.failure = this.error('cannot write it', failure));
    }
    this.finishSynced(true);
  }

  private finishSynced(synced: boolean): void {
    if (this.failure) throw this.failure;
    if (this.state !== 'open') return;
    this.assertIdle('finished');
    if (!this.inPlace) this.ensureOpen();
    const fd = this.fd;
    this.fd = undefined;
    this.bg = undefined;
    this.state = 'finished';
    if (fd === undefined) return;
    try {
      if (!this.inPlace && !synced) this.io.fsyncSync(fd);
      if (!this.inherited) this.io.closeSync(fd);
    } catch (e) {
      closeQuietly(this.io, fd);
      throw (this.failure = this.error('cannot write it', e));
    }
  }

  /** Finishes and renames the file into place. */
  commit(): void {
    if (this.state === 'committed') return;
    if (this.state === 'discarded') throw new Error(`${this.path}: commit after discard`);
    this.finish();
    this.state = 'committed';
    if (this.inPlace) return;
    try {
      this.io.renameSync(this.current, this.path);
    } catch (e) {
      unlinkQuietly(this.io, this.current);
      throw this.error('cannot put it in place', e);
    }
  }

  /** Abandons the output: the temporary file goes, an earlier file of that name stays as it was. Never throws. */
  discard(): void {
    if (this.state === 'committed' || this.state === 'discarded') return;
    this.state = 'discarded';
    this.dropDescriptor();
    if (!this.inPlace) unlinkQuietly(this.io, this.current);
  }
}

function writeAll(io: OutputIo, fd: number, b: Uint8Array): void {
  for (let o = 0; o < b.length;) o += io.writeSync(fd, b, o, b.length - o);
}

function closeQuietly(io: OutputIo, fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    io.closeSync(fd);
  } catch {
    // already closed or failed: nothing more to do
  }
}

function unlinkQuietly(io: OutputIo, path: string): void {
  try {
    io.unlinkSync(path);
  } catch {
    // gone already
  }
}

/** `.NAME.PID-RANDOM.cofw-tmp` beside `path` (the name shortened so that the whole stays within 255 bytes). */
function tempName(path: string): string {
  let base = basename(path);
  while (Buffer.byteLength(base) > 200) base = base.slice(0, -1);
  return join(dirname(path), `.${base}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
}

/**
 * The outputs of one run, opened before it starts and committed together at
 * its end (see the module comment).
 */
export class OutputFiles {
  private readonly files: OutputFile[] = [];

  constructor(private readonly io: OutputIo = fs) {}

  /** Opens an output (its temporary file); OutputError when it cannot be written. */
  open(path: string, option?: string): OutputFile {
    const f = new OutputFile(path, option, this.io);
    this.files.push(f);
    return f;
  }

  /** The temporary files not yet committed or discarded. */
  temporaries(): string[] {
    return this.files.map((f) => f.temporary).filter((t): t is string => t !== undefined);
  }

  /**
   * Finishes every file, then renames every file into place. A failure
   * while finishing discards them all (no file of those names changes).
   */
  commit(): void {
    try {
      for (const f of this.files) f.finish();
    } catch (e) {
      this.discard();
      throw e;
    }
    let failure: unknown;
    for (const f of this.files) {
      try {
        f.commit();
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) {
      this.discard();
      throw failure;
    }
  }

  /** Removes every temporary file; earlier files of those names stay as they were. Never throws. */
  discard(): void {
    for (const f of this.files) f.discard();
  }
}
