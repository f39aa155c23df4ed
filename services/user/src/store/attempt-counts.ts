// The attempt counts (domain/attempt-counters.ts) in the service's own database, through
// rate-limiter-flexible's PostgreSQL store, so that every replica shares them and a restart keeps
// them. The table is made by migration 004 in the shape the library expects. Keys are hashed: the
// table never holds an email or a client address, and a long address still fits its key column.
import { createHash } from 'node:crypto';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Sql } from '../../../platform/src/database/database';
import type { AttemptCounter, CounterFactory } from '../domain/attempt-counters';

const TABLE = 'attempt_counts';

export function attemptCounts(db: Sql): CounterFactory {
  // The library's client interface: query({ text, values }) answering { rows, rowCount }. Both
  // engines (PGlite and a server) are behind `db`, which answers rows only: a DELETE returns its
  // rows so that they can be counted.
  const storeClient = {
    query: async (statement: { text: string; values?: unknown[] }) => {
      const text = /^\s*DELETE\b/i.test(statement.text) ? `${statement.text.trim().replace(/;$/, '')} RETURNING 1` : statement.text;
      const rows = await db.query(text, statement.values);
      return { rows, rowCount: rows.length };
    },
  };
  let first = true;
  return (name, settings) => {
    const limiter = new RateLimiterPostgres({
      storeClient,
      storeType: 'pool',
      tableName: TABLE,
      tableCreated: true,
      keyPrefix: name,
      points: settings.points,
      duration: settings.windowSeconds,
      blockDuration: settings.blockSeconds ?? 0,
      // One sweep of expired rows for the whole table is enough.
      clearExpiredByTimeout: first,
    });
    first = false;
    const hashed = (key: string) => createHash('sha256').update(key).digest('base64url');
    const counter: AttemptCounter = {
      consume: (key, points) => limiter.consume(hashed(key), points),
      get: (key) => limiter.get(hashed(key)),
      delete: (key) => limiter.delete(hashed(key)),
    };
    return counter;
  };
}
