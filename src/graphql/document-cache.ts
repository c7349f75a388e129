import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Longest query text whose parse (or parse error) yoga may keep: 1,024 entries of at most 64 KB. */
const MAX_CACHED_QUERY_LENGTH = 64 * 1024;
// Yoga's own parse caches: 1,024 entries for an hour each (its _createLRUCache, which is internal).
const CACHE_OPTIONS = { max: 1024, ttl: 3_600_000 };

type Cache<T> = { get(key: string): T | undefined; set(key: string, value: T): void };

/**
 * Yoga's parse caches key on the query text itself: by default 1,024 of them, however long, so a
 * caller sending distinct multi-megabyte queries (even failing ones) could pin gigabytes. These
 * caches skip long texts; they are parsed again each time, which the token limit keeps cheap.
 */
export function createDocumentCaches() {
  return {
    documentCache: boundedCache<DocumentNode>(new LRUCache<string, DocumentNode>(CACHE_OPTIONS)),
    // Yoga caches only errors, which are objects; its type says unknown.
    errorCache: boundedCache<unknown>(new LRUCache<string, object>(CACHE_OPTIONS) as Cache<unknown>),
  };
}

function boundedCache<T>(cache: Cache<T>): Cache<T> {
  return {
    get: (key) => (key.length > MAX_CACHED_QUERY_LENGTH ? undefined : cache.get(key)),
    set: (key, value) => {
      if (key.length <= MAX_CACHED_QUERY_LENGTH) cache.set(key, value);
    },
  };
}
