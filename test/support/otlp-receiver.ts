// A stand-in for Jaeger's OTLP/HTTP endpoint inside the test: it accepts what the exporters send
// (as JSON, with OTEL_EXPORTER_OTLP_PROTOCOL=http/json) and decodes it into flat spans. Protobuf,
// OTLP's default, it accepts and counts without decoding.
import { createServer, type Server } from 'node:http';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  /** 0 unset, 1 ok, 2 error. */
  status: number;
  statusMessage: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

const valueOf = (value: OtlpValue) => value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue));
const attributesOf = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]));

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  /** Bytes of every export received, decoded or not. */
  bytes = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(port = 0): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        receiver!.requests += 1;
        const body = Buffer.concat(chunks);
        receiver!.bytes += body.length;
        if (!(req.headers['content-type'] ?? '').includes('json')) {
          // OTLP's default protobuf: counted, not decoded (the benchmark exports this way); an
          // empty ExportTraceServiceResponse is zero bytes.
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          res.end();
          return;
        }
        if (req.url === '/v1/traces') receiver!.accept(JSON.parse(body.toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address() as { port: number };
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${address.port}`);
    return receiver;
  }

  private accept(body: { resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] }): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          const status = (span.status ?? {}) as { code?: number; message?: string };
          this.spans.push({
            service,
            traceId: String(span.traceId),
            spanId: String(span.spanId),
            parentSpanId: String(span.parentSpanId ?? ''),
            name: String(span.name),
            kind: Number(span.kind ?? 0),
            status: Number(status.code ?? 0),
            statusMessage: status.message ?? '',
            attributes: attributesOf(span.attributes as OtlpAttribute[]),
          });
        }
      }
    }
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The chain of spans from `span` up to the root, within one trace. */
export function ancestors(spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  const chain: ReceivedSpan[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) chain.push(parent);
  return chain;
}
