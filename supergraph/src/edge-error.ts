// Errors the gateway raises at the edge, before a query is planned (API key, token, rate limit,
// body size). They answer in GraphQL's response shape with a code, and with the HTTP status that
// belongs to them.
export class EdgeError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'EdgeError';
  }

  body(traceId?: string) {
    return { errors: [{ message: this.message, extensions: { code: this.code } }], ...(traceId ? { extensions: { traceId } } : {}) };
  }
}
