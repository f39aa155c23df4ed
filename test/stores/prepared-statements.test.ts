// On the PostgreSQL server, each distinct statement is prepared once per connection, by name, and
// then only bound and run: the server parses and plans it once instead of at every call.
import { openDatabase, type Database } from '../../services/platform/src/database/database';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/postgres';

describeWithPostgres('statements on the PostgreSQL server', () => {
  let server: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    server = await createTestDatabase('statements');
    db = await openDatabase({ url: server.url, dataDir: '' });
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  /** What this connection has prepared, and how often each ran, read on the same connection. */
  const prepared = (tx: Pick<Database, 'query'>) =>
    tx.query<{ name: string; statement: string; calls: number }>(
      'SELECT name, statement, generic_plans + custom_plans AS calls FROM pg_prepared_statements ORDER BY name',
    );

  it('prepares a statement by name on its first run on a connection and runs it by that name after', async () => {
    const text = 'SELECT $1::int + 1 AS answer';
    const seen = await db.transaction(async (tx) => {
      for (let n = 0; n < 3; n += 1) expect(await tx.query(text, [n])).toEqual([{ answer: n + 1 }]);
      return prepared(tx);
    });
    const mine = seen.filter((row) => row.statement === text);
    expect(mine).toEqual([{ name: expect.stringMatching(/^ecowheels_\d+$/), statement: text, calls: 3 }]);
  });

  it('gives two texts two names, and the same text the same name on every connection', async () => {
    const first = 'SELECT 1 AS one WHERE $1::boolean';
    const second = 'SELECT 2 AS two WHERE $1::boolean';
    const names = await Promise.all(
      [0, 1].map(() =>
        db.transaction(async (tx) => {
          await tx.query(first, [true]);
          await tx.query(second, [true]);
          const rows = await prepared(tx);
          const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          return { pid, names: [first, second].map((text) => rows.find((row) => row.statement === text)?.name) };
        }),
      ),
    );
    expect(names[0].pid).not.toBe(names[1].pid); // two connections, side by side
    expect(names[0].names[0]).toMatch(/^ecowheels_\d+$/);
    expect(names[0].names[0]).not.toBe(names[0].names[1]);
    expect(names[1].names).toEqual(names[0].names);
  });

  it('stops preparing past 500 distinct texts (SQL built from values would otherwise fill the server), and still runs them', async () => {
    const fresh = await openDatabase({ url: server.url, dataDir: '' });
    try {
      const seen = await fresh.transaction(async (tx) => {
        for (let n = 0; n < 500; n += 1) await tx.query(`SELECT ${n} AS n WHERE $1::boolean`, [true]);
        expect(await tx.query('SELECT 500 AS n WHERE $1::boolean', [true])).toEqual([{ n: 500 }]);
        return tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements');
      });
      const statements = seen.map((row) => row.statement);
      expect(statements).toContain('SELECT 499 AS n WHERE $1::boolean');
      expect(statements).not.toContain('SELECT 500 AS n WHERE $1::boolean');
    } finally {
      await fresh.close();
    }
  });
});
