// @ts-check
// PGlite's NodeFS with a working fsync. Emscripten's NODEFS (which NodeFS mounts) has no fsync of
// its own: PostgreSQL's fsync() of WAL and data files returned at once without reaching the disk,
// and fdatasync() is a stub in Emscripten whatever the file system. So a commit reached the
// kernel's page cache (it survived a killed process) but not the disk (not an OS crash or a power
// cut), even with fsync on. This adds fsync to NODEFS's file operations; the engine then runs with
// fsync on and wal_sync_method = fsync (engine.ts), so a commit is on disk before it is
// acknowledged and a checkpoint syncs the data files it wrote. Plain JavaScript: the engine's
// worker imports it (embedded-engine.worker.mjs).
import { fsyncSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** postgresql.conf lines of a durable engine: fsync (which NODEFS now has), not fdatasync (a stub). */
export const DURABLE_SETTINGS = ['wal_sync_method = fsync'];

export class DurableNodeFS extends NodeFS {
  /** fsync calls that reached the disk; tests read it to see a commit sync. */
  syncs = 0;

  /** @type {NodeFS['init']} */
  async init(pg, emscriptenOptions) {
    const { emscriptenOpts } = await super.init(pg, emscriptenOptions);
    const addFsync = (/** @type {any} */ module) => {
      const nodefs = module.FS.filesystems.NODEFS;
      // Every node NODEFS creates shares this stream_ops object, so files opened later have it.
      nodefs.stream_ops.fsync = (/** @type {{ nfd?: number }} */ stream) => {
        if (typeof stream.nfd !== 'number') return 0;
        // A failure becomes the errno PostgreSQL sees: it then stops rather than lose a write.
        nodefs.tryFSOperation(() => fsyncSync(/** @type {number} */ (stream.nfd)));
        this.syncs += 1;
        return 0;
      };
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), addFsync] } };
  }
}

/**
 * PGlite.create options that make commits durable in dataDir: this file system, and PGlite's
 * start parameters without -F (fsync off), so fsync takes its default, on.
 * @param {string} dataDir
 */
export function durableOptions(dataDir) {
  return { fs: new DurableNodeFS(dataDir), startParams: PGlite.defaultStartParams.filter((param) => param !== '-F') };
}
