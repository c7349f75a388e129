import { type Config, loadConfig } from '../../src/config.js';

/**
 * The application's configuration for a benchmark run in this process: the environment, with
 * what would otherwise measure itself turned off. Benchmarks name their tenants by header, so the
 * server's own settings stay in development mode even when the libraries run in production mode
 * (see production-libraries.ts).
 */
export function benchConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'development',
    // One JSON log line per request would drown the figures.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // A benchmark is one tenant sending as fast as it can: the per-tenant rate limit would measure itself.
    RATE_LIMIT_PER_SECOND: '0',
    DATA_DIR: process.env.DATA_DIR ?? 'memory://',
    SEED_DEMO: 'false',
    // Re-running sampled searches exactly would add its own load to what is measured.
    RECALL_SAMPLE_RATE: '0',
    ...overrides,
  });
}

/** A positive integer from the environment, or the fallback when the variable is unset. */
export function countFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** A comma-separated list of positive integers from the environment, or the fallback when unset. */
export function countsFromEnv(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return [...fallback];
  return raw.split(',').map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must list positive integers, got "${part}"`);
    return value;
  });
}
