import type { Plugin } from 'graphql-yoga';
import { errorResponse } from './client-errors.js';

// What a browser sends cross-site without a CORS preflight: GET, or a POST with one of these.
const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Headers no page can add to a cross-site request without a CORS preflight. Every tenant request
 * carries x-tenant-id and every admin request Authorization, so Narwhal's own clients pass
 * untouched; the others are the ones Apollo's and Yoga's clients send for this purpose.
 */
const PREFLIGHT_HEADERS = [
  'x-tenant-id',
  'authorization',
  'x-apollo-operation-name',
  'apollo-require-preflight',
  'graphql-require-preflight',
  'x-graphql-yoga-csrf',
] as const;

/**
 * Apollo Server's CSRF rule: a GraphQL request must be one a browser would have preflighted, that
 * is, have a non-simple Content-Type or one of PREFLIGHT_HEADERS. A form post or an <img> GET from
 * another site is neither, and is refused before it is parsed or run. (GraphiQL's page itself is
 * served before this check, and its operations send JSON.)
 */
export function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request, endResponse, fetchAPI }) {
      const contentType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (contentType && !SIMPLE_CONTENT_TYPES.has(contentType)) return;
      if (PREFLIGHT_HEADERS.some((name) => (request.headers.get(name) ?? '') !== '')) return;
      endResponse(
        errorResponse(
          fetchAPI,
          400,
          'CSRF_REJECTED',
          'This request was refused as a possible cross-site request forgery: send Content-Type: application/json ' +
            `(or another non-simple type), or one of the headers ${PREFLIGHT_HEADERS.join(', ')}`,
        ),
      );
    },
  };
}
