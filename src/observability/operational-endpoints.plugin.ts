import type { Plugin } from 'graphql-yoga';
import type { AppMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';

/**
 * /ready and /metrics, answered by the same handler as /graphql (so yoga.fetch reaches them too).
 * /health (liveness) is yoga's own health check: 200 for as long as the process serves requests.
 * /metrics is left unauthenticated, as Prometheus scrapes expect: it carries no tenant or user data.
 */
export function useOperationalEndpoints(options: { readiness: Readiness; metrics?: AppMetrics | undefined }): Plugin[] {
  const { readiness, metrics } = options;
  // Each hook answers synchronously for every other path: an async hook would make yoga wait on
  // a promise in every request. (Not yoga's useReadinessCheck: it matches a URLPattern against
  // every request's URL, which cost more of a search's server thread than this whole plugin.)
  const plugins: Plugin[] = [
    {
      onRequest({ url, endResponse, fetchAPI }) {
        if (url.pathname !== '/ready') return;
        return readiness.check().then((report) =>
          endResponse(
            new fetchAPI.Response(JSON.stringify(report), {
              status: report.ready ? 200 : 503,
              headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
            }),
          ),
        );
      },
    },
  ];
  if (metrics) {
    plugins.push({
      onRequest({ url, endResponse, fetchAPI }) {
        if (url.pathname !== '/metrics') return;
        return metrics.registry
          .metrics()
          .then((body) => endResponse(new fetchAPI.Response(body, { status: 200, headers: { 'content-type': metrics.registry.contentType } })));
      },
    });
  }
  return plugins;
}
