// The PostgreSQL server the tests use (127.0.0.1:5432, trust auth, as on the CI machine). Each
// test file gets fresh databases with random names and drops them at the end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describeNeeding, type RequiredServer } from './required-server';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const POSTGRES: RequiredServer = {
  name: 'PostgreSQL',
  url: ADMIN_URL,
  variable: 'TEST_POSTGRES_URL',
  probe: `const pg=require('pg');const c=new pg.Client({connectionString:${JSON.stringify(ADMIN_URL)},connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))`,
};

export const describeWithPostgres = (name: string, body: () => void) => describeNeeding(POSTGRES, name, body);

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL against it, for checking what a service stored. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Closes this side's connections, leaving the database. */
  close(): Promise<void>;
  drop(): Promise<void>;
}

/** A database that exists already (the shared stack's): queried here, dropped by whoever made it. */
export function connectTestDatabase(url: string): TestDatabase {
  const name = new URL(url).pathname.slice(1);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection the server ends (the forced drop of a database, while a check's last query
  // is still settling) is no test's failure: a query on it fails on its own, and the next reconnects.
  pool.on('error', () => undefined);
  const close = () => pool.end();
  return {
    name,
    url,
    query: async <Row>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as Row[],
    close,
    drop: async () => {
      await close();
      const cleanup = new pg.Client({ connectionString: ADMIN_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `ew_test_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return connectTestDatabase(url.toString());
}
