// The gates on the GraphQL side: the committed supergraph is what the subgraph schemas compose to,
// composition errors fail, and no change breaks clients against the released API schema (or the
// main branch, on another branch) unless it is recorded as deliberate, and a deliberate one only
// when no live app version uses what it removes. Each gate is also shown failing on a bad change.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  apiSchemaOf,
  composeSupergraph,
  readSubgraphSchemas,
  unexpectedBreakingChanges,
  type DeliberateChange,
} from '../../supergraph/src/composition';
import { API_BASELINE_FILE, DELIBERATE_CHANGES_FILE, SUPERGRAPH_FILE } from '../../supergraph/src/subgraphs';
import { liveVersions } from '../../supergraph/src/app-manifests';
import { deliberateChangesInUse, previousApiSchemas } from '../../supergraph/src/manifest-checks';

const ROOT = join(__dirname, '..', '..');
const deliberate = JSON.parse(readFileSync(DELIBERATE_CHANGES_FILE, 'utf8')) as DeliberateChange[];

describe('supergraph', () => {
  it('committed supergraph.graphql is what the subgraphs compose to (run `npm run compose` if this fails)', () => {
    expect(readFileSync(SUPERGRAPH_FILE, 'utf8')).toBe(composeSupergraph());
  });

  it('composition fails, naming the problem, when subgraphs disagree on a shared type', () => {
    const schemas = readSubgraphSchemas();
    schemas.payment = schemas.payment.replace('amountMinor: Int!', 'amountMinor: Float!');
    expect(() => composeSupergraph(schemas)).toThrow(/composition failed:[\s\S]*amountMinor/);
  });

  it('every deliberate breaking change says why', () => {
    for (const change of deliberate) expect(change.why.trim().length).toBeGreaterThan(10);
  });

  it('records a deliberate breaking change only when no live app version uses what it removes (app-manifests.test.ts shows it refusing one)', () => {
    const current = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'));
    expect(deliberateChangesInUse(deliberate, [current, ...previousApiSchemas()], liveVersions())).toEqual([]);
  });

  it('breaks no client against the released API schema', () => {
    const current = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'));
    expect(unexpectedBreakingChanges(readFileSync(API_BASELINE_FILE, 'utf8'), current, deliberate)).toEqual([]);
  });

  it('breaks no client against the main branch, when on another branch', () => {
    const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const onMain = spawnSync('git', ['show', 'main:supergraph/supergraph.graphql'], { cwd: ROOT, encoding: 'utf8' });
    if (branch === 'main' || onMain.status !== 0) return; // on main, the released baseline above is the comparison
    const current = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'));
    expect(unexpectedBreakingChanges(apiSchemaOf(onMain.stdout), current, deliberate)).toEqual([]);
  });

  it('reports a removed field, a changed type and a new required argument as breaking', () => {
    const schemas = readSubgraphSchemas();
    schemas.inventory = schemas.inventory
      .replace(/\s*"State of charge, 0 to 100 percent."\n\s*batteryPercent: Int!/, '')
      .replace('capacity: Int!', 'capacity: String!')
      .replace(/(\n\s*bike\(.*? id: ID!)\): Bike/, '$1, reason: String!): Bike');
    const changed = apiSchemaOf(composeSupergraph(schemas));
    const found = unexpectedBreakingChanges(readFileSync(API_BASELINE_FILE, 'utf8'), changed, deliberate).map((change) => change.type);
    expect(found.sort()).toEqual(['FIELD_CHANGED_KIND', 'FIELD_REMOVED', 'REQUIRED_ARG_ADDED']);
    const excused = unexpectedBreakingChanges(readFileSync(API_BASELINE_FILE, 'utf8'), changed, [
      ...deliberate,
      { description: 'Bike.batteryPercent was removed.', why: 'a test of the deliberate-change list' },
    ]);
    expect(excused.map((change) => change.type).sort()).toEqual(['FIELD_CHANGED_KIND', 'REQUIRED_ARG_ADDED']);
  });
});
