import type { FetchAPI, Plugin } from 'graphql-yoga';
import { createCredentialsReader, requireAdminCredentials } from '../auth/request-credentials.js';
import { AppError, type ErrorCode } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { exportTenant } from '../tenants/archive/tenant-export.service.js';
import { errorResponse } from './client-errors.js';

const EXPORT_PATH = /^\/admin\/tenants\/([^/]+)\/export$/;

const STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, TENANT_NOT_FOUND: 404, TENANT_INACTIVE: 409 };

/**
 * GET /admin/tenants/<slug>/export (admin token): the tenant's archive (src/tenants/archive/) as
 * a streamed body, read from the database as the client reads it, so a slow client slows the
 * export instead of filling memory. The bytes are not GraphQL, so they are served beside it, by
 * the same handler (yoga.fetch reaches it too). A failure mid-stream aborts the body: the archive
 * then has no trailer and any reader refuses it as truncated, never mistaking it for whole.
 */
export function useTenantExport(deps: Pick<ServiceDeps, 'database' | 'embedder' | 'metric'>, options: { adminToken: string; logError: (error: unknown) => void }): Plugin {
  const readCredentials = createCredentialsReader(options.adminToken);
  type Answer = { request: Request; endResponse: (response: Response) => void; fetchAPI: FetchAPI };
  const serveExport = async (slug: string, { request, endResponse, fetchAPI }: Answer) => {
    try {
      requireAdminCredentials(readCredentials(request));
      const { tenant, documents, chunks } = await exportTenant(deps, decodeURIComponent(slug));
      const iterator = chunks[Symbol.asyncIterator]();
      const body = new fetchAPI.ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await iterator.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          } catch (error) {
            options.logError(error);
            controller.error(error);
          }
        },
        async cancel() {
          await iterator.return(undefined);
        },
      });
      endResponse(
        new fetchAPI.Response(body, {
          status: 200,
          headers: {
            'content-type': 'application/x-ndjson; charset=utf-8',
            'content-disposition': `attachment; filename="${tenant.slug}.jsonl"`,
            'cache-control': 'no-store',
            // Counted as the export starts; the trailer has the count of what was written.
            'x-narwhal-documents': String(documents),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof AppError)) {
        options.logError(error);
        endResponse(errorResponse(fetchAPI, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.'));
        return;
      }
      endResponse(errorResponse(fetchAPI, STATUS[error.code] ?? 400, error.code, error.message));
    }
  };
  return {
    // Synchronous for every other path: an async hook would make yoga wait on a promise in every request.
    onRequest({ request, url, endResponse, fetchAPI }) {
      const match = EXPORT_PATH.exec(url.pathname);
      if (!match) return;
      if (request.method !== 'GET') {
        endResponse(errorResponse(fetchAPI, 405, 'BAD_USER_INPUT', `${url.pathname} answers GET only`));
        return;
      }
      return serveExport(match[1]!, { request, endResponse, fetchAPI });
    },
  };
}
