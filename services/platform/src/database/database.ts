// One small interface over the two PostgreSQL engines a service can run on: PGlite (embedded,
// file-backed, the default) and a PostgreSQL server (when a URL is given). Stores write plain,
// parameterised SQL against it and never know which engine is underneath.
import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { inSpan, observeConnectionPool } from '../telemetry/tracing';
import { invalidArgument } from '../errors';

/**
 * PostgreSQL's answer to text it cannot store: a NUL character (22021) or bytes that are not UTF-8
 * (22P05). Either came from a client, so the client hears it, as INVALID_ARGUMENT.
 */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);
function clientTextError(error: unknown): unknown {
  return UNSTORABLE_TEXT.has((error as { code?: string }).code ?? '')
    ? invalidArgument('text may not contain the NUL character (\\u0000) or bytes that are not UTF-8')
    : error;
}

/** Something that runs SQL: the database itself, or one transaction on it. */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Database extends Sql {
  /** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
  /** "pglite" or "postgres", for logs. */
  readonly engine: 'pglite' | 'postgres';
}

export interface DatabaseOptions {
  /** A postgres:// URL; when unset, PGlite in dataDir. */
  url?: string;
  /** PGlite's folder, created if missing. */
  dataDir: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url) : openPglite(options.dataDir);
}

/** What one statement's spans say, and the name it is prepared under on a server's connections. */
interface Statement {
  readonly spanName: string;
  readonly attributes: Attributes;
  /** Unset past MAX_PREPARED: such a statement is parsed and planned at each run, as before. */
  readonly name?: string;
}

/**
 * Distinct statements one database keeps described and prepares by name. The stores' statements
 * are constants (a few dozen a service), so this is a bound that a bug building SQL text from values
 * would reach, not one that real use does; past it, a statement is described afresh at each run and
 * neither kept nor prepared, so neither this process nor the server holds more.
 */
const MAX_PREPARED = 500;

/**
 * Each distinct statement text described once: its span's name and attributes, worked out from the
 * text (two regular expressions and a whitespace fold, which every query paid before), and a name to
 * prepare it under. On the PostgreSQL server, a named statement is parsed and planned once per
 * connection instead of at every run: for a read by primary key such as GetBike that is a good
 * part of the server's work.
 */
function statementsOf(engine: Database['engine'], namespace: string): (text: string) => Statement {
  const known = new Map<string, Statement>();
  return (text) => {
    const kept = known.get(text);
    if (kept) return kept;
    const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
    const collection = /\b(?:FROM|INTO|UPDATE|TABLE)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?([a-z_][a-z0-9_]*)/i.exec(text)?.[1];
    const keep = known.size < MAX_PREPARED;
    const statement: Statement = {
      spanName: collection ? `${operation} ${collection}` : operation,
      attributes: {
        'db.system': 'postgresql',
        'db.system.name': 'postgresql',
        'db.namespace': namespace,
        'db.operation.name': operation,
        ...(collection ? { 'db.collection.name': collection } : {}),
        'db.query.text': text.replace(/\s+/g, ' ').trim(),
        'ecowheels.db.engine': engine,
      },
      name: keep ? `ecowheels_${known.size + 1}` : undefined,
    };
    if (keep) known.set(text, statement);
    return statement;
  };
}

/**
 * Runs a query in a client span with the database semantic-convention attributes. The statement is
 * recorded as written: every query here is parameterised, so it holds no literal values.
 */
function traced<Row>(statement: Statement, run: () => Promise<Row[]>): Promise<Row[]> {
  return inSpan(
    statement.spanName,
    statement.attributes,
    () =>
      run().catch((error: unknown) => {
        throw clientTextError(error);
      }),
    SpanKind.CLIENT,
  );
}

async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  // Loaded only here: a process on a PostgreSQL server (the embedded default included) is spared
  // loading PGlite at every start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when PGlite is opened
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  const statementOf = statementsOf('pglite', dataDir);
  const run = (runner: Pick<PGlite, 'query'>): Sql => ({
    query: <Row>(text: string, params?: readonly unknown[]) =>
      traced(statementOf(text), async () => (await runner.query<Row>(text, params as unknown[])).rows),
  });
  return {
    engine: 'pglite',
    ...run(db),
    transaction: (fn) => db.transaction((tx) => fn(run(tx))),
    exec: async (script) => {
      await db.exec(script);
    },
    close: () => db.close(),
  };
}

// int8 (bigint) columns hold money in minor units and counts; they fit a JS number, so parse them
// as one, as PGlite does. Set per pool, not on pg's global type table.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

async function openPostgres(url: string): Promise<Database> {
  const max = 10;
  const pool = new pg.Pool({ connectionString: url, types, max });
  // An idle client that loses its server emits 'error'; without a listener that kills the process.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1'); // fail at start, with the server's own message, if it is unreachable
  const namespace = new URL(url).pathname.slice(1);
  const unobserve = observeConnectionPool(namespace, () => ({ used: pool.totalCount - pool.idleCount, idle: pool.idleCount, pending: pool.waitingCount, max }));
  const statementOf = statementsOf('postgres', namespace);
  const run = (runner: pg.Pool | pg.PoolClient): Sql => ({
    query: <Row>(text: string, params?: readonly unknown[]) => {
      const statement = statementOf(text);
      return traced(statement, async () => (await runner.query({ name: statement.name, text, values: params as unknown[] })).rows as Row[]);
    },
  });
  return {
    engine: 'postgres',
    ...run(pool),
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(run(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    exec: async (script) => {
      await pool.query(script);
    },
    close: () => {
      unobserve();
      return pool.end();
    },
  };
}
