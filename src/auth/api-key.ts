import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Recognizable in logs and by secret scanners. */
export const API_KEY_PREFIX = 'nwk_';

// nwk_<id: 16 hex>_<secret: 32 random bytes, base64url (43 characters)>. The id is not secret: it
// finds the stored hash; only the whole key, hashed, is compared.
const API_KEY_PATTERN = /^nwk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const API_KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

export type ApiKey = {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

export function generateApiKey(): { id: string; key: string; hash: Buffer } {
  const id = randomBytes(8).toString('hex');
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashApiKey(key) };
}

/** The key's id, or undefined when the text is not shaped like a Narwhal API key. */
export function apiKeyId(key: string): string | undefined {
  return API_KEY_PATTERN.exec(key)?.[1];
}

function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Constant-time comparison of a presented key with a stored hash (both digests: equal length). */
export function apiKeyMatches(key: string, storedHash: Uint8Array): boolean {
  const presented = hashApiKey(key);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}
