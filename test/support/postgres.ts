// The PostgreSQL server the tests use (127.0.0.1:5432, trust auth, as on the CI machine). Each
// test file gets fresh databases with random names and drops them at the end.
//
// In CI (CI=true) the server is required: a test that needs it fails when it is missing, never
// skips. On a laptop without a server, those tests are skipped with a note saying how to run them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * describe() when the server is there; in CI a failing describe when it is not; elsewhere a skip.
 * Jest collects tests synchronously, so reachability is checked with a blocking probe.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (serverAnswersSync()) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs the PostgreSQL server', () => {
        throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}; .ci/run starts it, so this is a CI setup fault`);
      });
    });
  } else {
    console.warn(`skipping "${name}": no PostgreSQL at ${ADMIN_URL} (set TEST_POSTGRES_URL, or run a server)`);
    describe.skip(name, body);
  }
}

function serverAnswersSync(): boolean {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const probe = spawnSync(
    process.execPath,
    ['-e', `const pg=require('pg');const c=new pg.Client({connectionString:${JSON.stringify(ADMIN_URL)},connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))`],
    { timeout: 10_000 },
  );
  return probe.status === 0;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL against it, for checking what a service stored. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `ew_test_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    name,
    url: url.toString(),
    query: async <Row>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as Row[],
    drop: async () => {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: ADMIN_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
