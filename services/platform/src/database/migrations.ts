// Applies a service's numbered migrations (store/migrations/NNN_name.sql) at start, each once, in
// order, each in its own transaction. Applied versions are kept in schema_migrations.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inRootSpan } from '../telemetry/tracing';
import { openDatabase, type Database, type DatabaseOptions } from './database';

const FILE_NAME = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** One trace per start ("db.migrate"), with each migration's statements beneath it, rather than a trace per statement. */
export function migrate(db: Database, directory: string): Promise<string[]> {
  return inRootSpan('db.migrate', { 'ecowheels.db.migrations': directory }, async (span) => {
    const applied = await migrateNow(db, directory);
    span.setAttribute('ecowheels.db.migrations_applied', applied.length);
    return applied;
  });
}

async function migrateNow(db: Database, directory: string): Promise<string[]> {
  await db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version text PRIMARY KEY,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const files = readdirSync(directory).filter((name) => name.endsWith('.sql')).sort();
  const badName = files.find((name) => !FILE_NAME.test(name));
  if (badName) throw new Error(`migration ${badName} in ${directory} must be named NNN_snake_case.sql`);

  const applied: string[] = [];
  for (const file of files) {
    const version = file.replace(/\.sql$/, '');
    const done = await db.transaction(async (tx) => {
      // Several replicas may start at once on one server: the lock makes them take turns.
      await tx.query('SELECT pg_advisory_xact_lock(7215001)');
      const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (rows.length > 0) return false;
      for (const statement of splitStatements(readFileSync(join(directory, file), 'utf8'))) {
        await tx.query(statement);
      }
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      return true;
    });
    if (done) applied.push(version);
  }
  return applied;
}

// Migrations are plain DDL; statements end with a semicolon at the end of a line. Running them one
// by one keeps them inside the transaction on both engines.
function splitStatements(script: string): string[] {
  return script
    .split(/;\s*$/m)
    .map((statement) => statement.replace(/^\s*--.*$/gm, '').trim())
    .filter((statement) => statement.length > 0);
}

/** Opens a service's database (PGlite or server) and brings its schema up to date. */
export async function openServiceDatabase(
  options: DatabaseOptions & { migrations: string },
): Promise<{ db: Database; applied: string[] }> {
  const db = await openDatabase(options);
  try {
    return { db, applied: await migrate(db, options.migrations) };
  } catch (error) {
    await db.close();
    throw error;
  }
}
