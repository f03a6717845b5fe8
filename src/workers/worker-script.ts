/**
 * Where the replay worker's script is, for `--workers N`'s threads
 * (src/workers/sharded.ts's ThreadTransport).
 *
 * As tsc builds it, dist/workers/worker.js beside this module. In the
 * single-file command (dist/cofw.mjs, made by scripts/bundle.mjs) every
 * module's `import.meta.url` is the bundle's own, so the bundle says where
 * the worker's bundle is instead: it defines COFW_WORKER_BUNDLE as that
 * file's name beside it (dist/cofw-worker.mjs, the worker and what it
 * imports, and no more: a thread loads it in about half the time the whole
 * command would take).
 */

/** The worker bundle's path relative to the command's bundle; defined only in the bundle. */
declare const COFW_WORKER_BUNDLE: string | undefined;

/** The URL a replay worker thread starts from. */
export function workerScriptUrl(): URL {
  return typeof COFW_WORKER_BUNDLE === 'string' ? new URL(COFW_WORKER_BUNDLE, import.meta.url) : new URL('./worker.js', import.meta.url);
}
