// Opaque cursors for paginated lists: the position after the last item, as base64url JSON. Callers
// must treat them as opaque; a token this service did not issue is refused with a clear message.
import { z } from 'zod';
import { invalidArgument } from './errors';

export function encodePageToken(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodePageToken<S extends z.ZodType>(token: string, schema: S): z.infer<S> | undefined {
  if (token === '') return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw invalidArgument('page_token is not one this list returned; pass next_page_token unchanged, or empty for the first page');
  }
}

export const DEFAULT_PAGE_SIZE = 20;
export const pageSizeOrDefault = (pageSize: number) => (pageSize > 0 ? pageSize : DEFAULT_PAGE_SIZE);
