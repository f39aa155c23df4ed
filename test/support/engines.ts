// Runs a store's tests on both database engines a service can use: embedded PGlite (the default)
// and the PostgreSQL server. The same SQL must behave the same on both.
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import { openDatabase, type Database } from '../../services/platform/src/database/database';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './postgres';

/**
 * A folder holding a new, empty PGlite cluster. PGlite's initdb, in WebAssembly, costs about 4 s of
 * CPU; so the run's first suite makes one cluster the way a service's first start does (PGlite on
 * an empty folder), keeps it beside the run's build (ECOWHEELS_COMPILED_DIR, global-setup.ts) and
 * every suite starts from a copy of it, well under a second. Without a run's build, each makes its own.
 */
async function newPgliteFolder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ecowheels-pglite-'));
  const build = process.env.ECOWHEELS_COMPILED_DIR;
  if (!build) return dir;
  const template = join(build, 'pglite-template');
  if (!existsSync(template)) {
    const making = `${template}.${process.pid}`;
    await (await openDatabase({ dataDir: making })).close();
    try {
      renameSync(making, template); // whole or not at all, for the other worker
    } catch {
      rmSync(making, { recursive: true, force: true }); // the other worker's came first
    }
  }
  cpSync(template, dir, { recursive: true });
  return dir;
}

export type Engine = 'pglite' | 'postgres';

/** Declares the suite once per engine; `db()` is a freshly migrated database for that suite. */
export function describeOnEachEngine(name: string, migrations: string, body: (db: () => Database, engine: Engine) => void): void {
  describe(`${name} on PGlite`, () => {
    let db: Database;
    let dir: string;
    beforeAll(async () => {
      dir = await newPgliteFolder();
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
