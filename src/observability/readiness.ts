import type { Db } from '../db/database.js';
import { pendingMigrations, pingDatabase } from '../db/database-health.js';

export type ReadinessReport = {
  ready: boolean;
  /** 'ok', or what is wrong; every check is named, so a 503 says what to look at. */
  checks: { server: string; database: string; migrations: string; embedder: string };
};

export type Readiness = {
  check(): Promise<ReadinessReport>;
  /** From now on the app is not ready (it is shutting down); there is no way back. */
  markStopping(): void;
};

/**
 * What /ready answers: ready to take traffic when the server is not shutting down, the database
 * answers within timeoutMs, every migration is applied, and the embedding model is loaded.
 */
export function createReadiness(deps: { db: Db; embedderLoaded: () => boolean; timeoutMs?: number }): Readiness {
  const timeoutMs = deps.timeoutMs ?? 2000;
  let stopping = false;
  // Applied migrations are never undone: once none is pending, probes stop asking.
  let migrationsApplied = false;

  const withinTimeout = async <T>(work: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    markStopping: () => {
      stopping = true;
    },
    async check() {
      const checks = { server: 'ok', database: 'ok', migrations: 'ok', embedder: 'ok' };
      if (stopping) {
        // The pool may already be closing: do not touch the database.
        return { ready: false, checks: { server: 'shutting down', database: 'not checked', migrations: 'not checked', embedder: 'not checked' } };
      }
      if (!deps.embedderLoaded()) checks.embedder = 'not loaded';
      try {
        await withinTimeout(() => pingDatabase(deps.db));
      } catch (error) {
        // Database messages stay in the logs; the probe only learns that it failed.
        checks.database = error instanceof Error && error.message.startsWith('no answer') ? error.message : 'unreachable';
      }
      if (checks.database === 'ok' && !migrationsApplied) {
        try {
          const pending = await withinTimeout(() => pendingMigrations(deps.db));
          migrationsApplied = pending.length === 0;
          if (!migrationsApplied) checks.migrations = `${pending.length} pending: ${pending.join(', ')}`;
        } catch {
          checks.migrations = 'could not be read';
        }
      } else if (checks.database !== 'ok' && !migrationsApplied) {
        checks.migrations = 'not checked';
      }
      return { ready: Object.values(checks).every((value) => value === 'ok'), checks };
    },
  };
}
