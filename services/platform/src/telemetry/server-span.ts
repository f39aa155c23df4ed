// The server span of an HTTP route in a service: the subgraphs' /graphql and the device door. It
// joins the caller's trace (W3C `traceparent`), carries the HTTP semantic-convention attributes and
// the answer's status, and is active for the route's handlers, so their spans and log lines belong
// to it. The gateway keeps OpenTelemetry's HTTP instrumentation (sdk.ts says why).
//
// In the services this replaces that instrumentation's incoming side, which cost the home screen
// more than half of what the whole SDK costs it (docs/performance.md, P4). Its own code is little:
// the cost is that it binds every request's and response's event emitters to the request's context,
// which wraps each listener Express, body-parser and on-finished add. Here the context is entered
// once, for the rest of the route: the body parsers after it (body-parser, through raw-body) bind
// their callback to the context they were called in, so the handlers behind them run inside it,
// however late the body arrives.
import type { RequestHandler } from 'express';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = () => trace.getTracer('ecowheels.http');

/** A middleware that runs the rest of the route in its server span; put it first. */
export function serverSpan(route: string): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(
      `${req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'http.route': route,
          // The path as the client sent it, without its query (a route mounted with app.use sees '/').
          'url.path': req.originalUrl.split('?')[0],
          'url.scheme': req.protocol,
          'network.protocol.version': req.httpVersion,
          'client.address': req.socket.remoteAddress,
        },
      },
      parent,
    );
    let ended = false;
    const end = (failure?: string) => {
      if (ended) return;
      ended = true;
      if (!failure) span.setAttribute('http.response.status_code', res.statusCode);
      // As the semantic conventions say for a server: a 4xx is the client's error, not the server's.
      if (failure || res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
      span.end();
    };
    res.once('finish', () => end());
    res.once('close', () => end(res.writableFinished ? undefined : 'the connection closed before the answer was sent'));
    context.with(trace.setSpan(parent, span), next);
  };
}
