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

/**
 * One page of a list ordered by a position (keyset pagination): fetches one item more than asked to
 * know whether another page follows, and encodes the last item's position as the next token.
 */
export async function fetchPage<Item, Position>(options: {
  pageSize: number;
  pageToken: string;
  position: z.ZodType<Position>;
  positionOf: (item: Item) => Position;
  fetch: (limit: number, after: Position | undefined) => Promise<Item[]>;
}): Promise<{ items: Item[]; nextPageToken: string }> {
  const limit = pageSizeOrDefault(options.pageSize);
  const after = decodePageToken(options.pageToken, options.position);
  const found = await options.fetch(limit + 1, after);
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextPageToken: found.length > limit && last ? encodePageToken(options.positionOf(last)) : '' };
}
