// Migrations: numbered files applied once each, in order, on both engines.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../services/platform/src/database/migrations';
import { describeOnEachEngine } from '../support/engines';

const dir = mkdtempSync(join(tmpdir(), 'ecowheels-migrations-'));
mkdirSync(join(dir, 'good'));
writeFileSync(join(dir, 'good', '001_first.sql'), 'CREATE TABLE first_table (id integer PRIMARY KEY);\n');
writeFileSync(join(dir, 'good', '002_second.sql'), '-- adds a column\nALTER TABLE first_table ADD COLUMN name text;\nINSERT INTO first_table VALUES (1, \'one\');\n');
mkdirSync(join(dir, 'bad-name'));
writeFileSync(join(dir, 'bad-name', 'first.sql'), 'SELECT 1;');
mkdirSync(join(dir, 'failing'));
writeFileSync(join(dir, 'failing', '001_broken.sql'), 'CREATE TABLE broken (id integer);\nSELECT * FROM no_such_table;\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeOnEachEngine('migrations', join(dir, 'good'), (db) => {
  it('applies each file once, in order, and records it', async () => {
    const rows = await db().query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).toEqual(['001_first', '002_second']);
    expect(await db().query('SELECT id, name FROM first_table')).toEqual([{ id: 1, name: 'one' }]);
    expect(await migrate(db(), join(dir, 'good'))).toEqual([]);
  });

  it('refuses a file that is not named NNN_name.sql', async () => {
    await expect(migrate(db(), join(dir, 'bad-name'))).rejects.toThrow(/must be named NNN_snake_case.sql/);
  });

  it('rolls a failing migration back whole, leaving it unrecorded', async () => {
    await expect(migrate(db(), join(dir, 'failing'))).rejects.toThrow(/no_such_table/);
    expect(await db().query(`SELECT to_regclass('broken') AS broken`)).toEqual([{ broken: null }]);
    expect(await db().query(`SELECT 1 FROM schema_migrations WHERE version = '001_broken'`)).toEqual([]);
  });
});
