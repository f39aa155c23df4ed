// What a request body that could not be read means for the client, from body-parser's documented
// error types (and http-errors' status for the rest, such as a body that does not inflate). Every
// HTTP door answers these the same way: a 4xx with a code, never a 500.
import { isHttpError } from 'http-errors';

export interface BodyError {
  httpStatus: number;
  code: string;
  message: string;
}

const KNOWN: Record<string, Omit<BodyError, 'message'> & { message?: string }> = {
  'charset.unsupported': { httpStatus: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  'encoding.unsupported': { httpStatus: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  'entity.too.large': { httpStatus: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large' },
  'entity.parse.failed': { httpStatus: 400, code: 'BAD_REQUEST', message: 'the request body is not valid JSON' },
  'request.aborted': { httpStatus: 400, code: 'BAD_REQUEST', message: 'the request body was cut short' },
  'request.size.invalid': { httpStatus: 400, code: 'BAD_REQUEST', message: 'the request body is not as long as its content-length says' },
};
const CODE_OF_STATUS: Record<number, string> = { 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** The client's mistake in a body parser's error, or undefined when the error is not one. */
export function bodyErrorOf(error: unknown): BodyError | undefined {
  if (!isHttpError(error) || error.status >= 500) return undefined;
  const known = KNOWN[(error as { type?: string }).type ?? ''];
  return {
    httpStatus: known?.httpStatus ?? error.status,
    code: known?.code ?? CODE_OF_STATUS[error.status] ?? 'BAD_REQUEST',
    message: known?.message ?? (error.expose ? error.message : 'the request body could not be decoded; check its content-encoding'),
  };
}
