// Request validation for gRPC handlers (and GraphQL arguments): a zod schema per request, and one message that names each
// wrong field by its proto name (snake_case) and says what it should be.
import { z } from 'zod';
import { invalidArgument } from '../errors';
import { LATITUDE, LONGITUDE } from '../geo';
import { currencyField } from '../money';

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** Parses a request; `fieldNames: 'graphql'` keeps camelCase names, as GraphQL arguments have. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  request: unknown,
  fieldNames: 'proto' | 'graphql' = 'proto',
): z.infer<S> {
  const result = schema.safeParse(request);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map((part) => (typeof part === 'string' ? (fieldNames === 'proto' ? snakeCase(part) : part) : `[${String(part)}]`)).join('.');
    return field ? `${field}: ${issue.message}` : issue.message;
  });
  throw invalidArgument(problems.join('; '));
}

// Field rules that several services share.
export const uuidField = z.uuid('must be a UUID, for example 0b5c6c8e-8f3a-4f4e-9d6c-3a1f2e4b5c6d');
export const idempotencyKeyField = z
  .string()
  .min(8, 'must be 8 to 200 characters; use a fresh UUID per user action')
  .max(200, 'must be 8 to 200 characters');
/** A whole number from 1 to `max` (a page size, a radius, a capacity), with one message for both bounds. */
export const rangeField = (max: number) => z.number().int().min(1, `must be from 1 to ${max}`).max(max, `must be from 1 to ${max}`);
export const pageSizeField = z.number().int().min(0).max(100, 'must be at most 100');
export const latitudeField = z.number().min(LATITUDE.min, LATITUDE.message).max(LATITUDE.max, LATITUDE.message);
export const longitudeField = z.number().min(LONGITUDE.min, LONGITUDE.message).max(LONGITUDE.max, LONGITUDE.message);
export const geoPointField = z.object(
  {
    latitude: latitudeField,
    longitude: longitudeField,
  },
  { error: 'is required' },
);
export const moneyField = z.object(
  {
    amountMinor: z.number().int('must be whole minor units (cents)'),
    currency: currencyField,
  },
  { error: 'is required' },
);
export const batchIdsField = z.array(uuidField).max(500, 'at most 500 ids per call');
