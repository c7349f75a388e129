import type { DocumentNode } from 'graphql';
import { _createLRUCache } from 'graphql-yoga';

/** Longest query text whose parse (or parse error) yoga may keep: 1,024 entries of at most 64 KB. */
const MAX_CACHED_QUERY_LENGTH = 64 * 1024;

type Cache<T> = { get(key: string): T | undefined; set(key: string, value: T): void };

/**
 * Yoga's parse caches key on the query text itself: by default 1,024 of them, however long, so a
 * caller sending distinct multi-megabyte queries (even failing ones) could pin gigabytes. These
 * caches skip long texts; they are parsed again each time, which the token limit keeps cheap.
 */
export function createDocumentCaches() {
  return {
    documentCache: boundedCache(_createLRUCache<DocumentNode>() as Cache<DocumentNode>),
    errorCache: boundedCache<unknown>(_createLRUCache<object>() as Cache<unknown>),
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
