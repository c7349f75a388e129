import pino, { type DestinationStream, type Logger } from 'pino';
import { LogDestination, stdoutDestination } from './log-destination.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino censors before a line is written. Request lines carry only chosen fields (never the
 * request's variables, headers or query text); these paths are the net under that rule, for
 * objects someone logs later without thinking of tokens, API keys or vectors.
 */
const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'apiKey',
  '*.apiKey',
  'adminToken',
  '*.adminToken',
  'token',
  '*.token',
  'variables',
  '*.variables',
  'vector',
  '*.vector',
  'embedding',
  '*.embedding',
  'embeddings',
  '*.embeddings',
];

/**
 * One JSON object per line on stdout (or the given stream, which tests read). Stdout goes through a
 * LogDestination, never pino's default, whose exit flush can hang the process (log-destination.ts).
 */
export function createLogger(config: { logLevel: LogLevel }, destination: DestinationStream = stdoutDestination()): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'narwhal' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names rather than numbers: log pipelines and people read the same field.
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  const logger = pino(options, destination);
  if (destination instanceof LogDestination) {
    destination.onResume = (dropped) => logger.warn({ dropped }, 'log lines were dropped while stdout was not being read');
  }
  return logger;
}
