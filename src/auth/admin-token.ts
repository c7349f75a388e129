import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';

export type AdminToken = { token: string; source: 'environment' | 'generated' | 'data directory' };

/**
 * ADMIN_TOKEN from the environment; outside production, a token generated at first start and kept
 * in the data directory (memory:// keeps it for the process only). Production must set one.
 */
export async function resolveAdminToken(config: Config): Promise<AdminToken> {
  if (config.adminToken) return { token: config.adminToken, source: 'environment' };
  if (config.nodeEnv === 'production') {
    throw new Error('ADMIN_TOKEN must be set when NODE_ENV=production (at least 16 characters)');
  }
  const generated = randomBytes(24).toString('base64url');
  if (config.dataDir.startsWith('memory://')) return { token: generated, source: 'generated' };
  const file = join(config.dataDir, 'admin-token');
  try {
    return { token: (await readFile(file, 'utf8')).trim(), source: 'data directory' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${generated}\n`, { mode: 0o600 });
  return { token: generated, source: 'generated' };
}
