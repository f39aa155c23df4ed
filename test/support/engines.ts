// Runs a store's tests on both database engines a service can use: embedded PGlite (the default)
// and the PostgreSQL server. The same SQL must behave the same on both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import type { Database } from '../../services/platform/src/database/database';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './postgres';

export type Engine = 'pglite' | 'postgres';

/** Declares the suite once per engine; `db()` is a freshly migrated database for that suite. */
export function describeOnEachEngine(name: string, migrations: string, body: (db: () => Database, engine: Engine) => void): void {
  describe(`${name} on PGlite`, () => {
    let db: Database;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ecowheels-pglite-'));
      db = (await openServiceDatabase({ dataDir: dir, migrations })).db;
    });
    afterAll(async () => {
      await db?.close();
      rmSync(dir, { recursive: true, force: true });
    });
    body(() => db, 'pglite');
  });

  describeWithPostgres(`${name} on PostgreSQL`, () => {
    let db: Database;
    let server: TestDatabase;
    beforeAll(async () => {
      server = await createTestDatabase('store');
      db = (await openServiceDatabase({ url: server.url, dataDir: '', migrations })).db;
    });
    afterAll(async () => {
      await db?.close();
      await server?.drop();
    });
    body(() => db, 'postgres');
  });
}
