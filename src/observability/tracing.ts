import { type Attributes, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { SharedBatch } from '../embeddings/shared-batcher.js';

/** What a finished operation's span records: names and codes only, never variables or query text. */
export type OperationOutcome = {
  name: string | null;
  type: string;
  tenant: string | null;
  requestId: string | null;
  status: number;
  errorCodes: readonly string[];
};

export type Tracing = {
  /** Starts the span of one GraphQL request; call the returned function when it is answered. */
  startOperation(): (outcome: OperationOutcome) => void;
  recordEmbeddingBatch(batch: SharedBatch): void;
  /** Sends the spans still buffered and stops. */
  shutdown(): Promise<void>;
};

/**
 * OTLP/HTTP tracing when an endpoint is configured, else undefined (off). The provider is this
 * app's own and is not registered globally: several apps (tests) can share a process, and no
 * library instrumentation can start recording database statements or request bodies behind our back.
 */
export function createTracing(config: { otlpEndpoint: string | undefined }): Tracing | undefined {
  if (!config.otlpEndpoint) return undefined;
  const exporter = new OTLPTraceExporter({ url: `${config.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'narwhal' }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer('narwhal');
  return {
    startOperation() {
      const span = tracer.startSpan('graphql');
      return (outcome) => {
        const attributes: Attributes = {
          'graphql.operation.type': outcome.type,
          'http.response.status_code': outcome.status,
        };
        if (outcome.name) attributes['graphql.operation.name'] = outcome.name;
        if (outcome.tenant) attributes['narwhal.tenant'] = outcome.tenant;
        if (outcome.requestId) attributes['narwhal.request_id'] = outcome.requestId;
        if (outcome.errorCodes.length > 0) attributes['graphql.error.codes'] = [...outcome.errorCodes];
        span.setAttributes(attributes);
        // Span names must stay low-cardinality: the type, plus the name the client chose.
        span.updateName(outcome.name ? `${outcome.type} ${outcome.name.slice(0, 64)}` : outcome.type);
        const failed = outcome.status >= 500 || outcome.errorCodes.includes('INTERNAL_SERVER_ERROR');
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorCodes.join(',') || `HTTP ${outcome.status}` });
        span.end();
      };
    },
    // A model call serves several requests at once (shared batching), so it is a span of its own
    // rather than a child of one of them.
    recordEmbeddingBatch(batch) {
      const span = tracer.startSpan('embedding batch', {
        startTime: Date.now() - batch.ms,
        attributes: { 'narwhal.embedding.kind': batch.kind, 'narwhal.embedding.texts': batch.size, 'narwhal.embedding.callers': batch.callers },
      });
      if (!batch.ok) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    shutdown: () => provider.shutdown(),
  };
}
