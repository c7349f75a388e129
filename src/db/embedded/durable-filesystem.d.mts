// Types of durable-filesystem.mjs (plain JavaScript, so the engine's worker loads it as it is).
import { NodeFS } from '@electric-sql/pglite/nodefs';

export declare const DURABLE_SETTINGS: string[];

export declare class DurableNodeFS extends NodeFS {
  /** fsync calls that reached the disk. */
  syncs: number;
}

export declare function durableOptions(dataDir: string): { fs: DurableNodeFS; startParams: string[] };
