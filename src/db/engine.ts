import type { Duplex } from 'node:stream';

/** A PostgreSQL the application can reach by URL, whichever engine serves it. */
export type Engine = {
  kind: 'embedded' | 'external';
  url: string;
  /** A connection that bypasses the network (pg's `stream` option), where the engine offers one. */
  stream?: () => Duplex;
  /** How many pooled connections the engine takes without stalling. */
  maxPoolSize: number;
  /** Records where this process can be reached (the server's URL), for another that finds DATA_DIR taken. */
  announce?(url: string): void;
  close(): Promise<void>;
};

export function externalEngine(url: string, poolSize: number): Engine {
  return { kind: 'external', url, maxPoolSize: poolSize, close: async () => {} };
}
