// docs/slos.md shows each SLO's queries as the rules compute them: the objective and both queries
// of every SLO in mesh-config/alerts.ts appear there, over 30 days.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLOS } from '../../mesh-config/alerts';

const PAGE = readFileSync(join(__dirname, '..', '..', 'docs', 'slos.md'), 'utf8');

describe('docs/slos.md', () => {
  it.each(SLOS.map((slo) => [slo.name, slo] as const))('shows %s as the rules compute it', (_name, slo) => {
    expect(PAGE).toContain(`Objective: **${(slo.objective * 100).toFixed(1)}%**`);
    expect(PAGE).toContain(slo.bad.replaceAll('$w', '30d'));
    expect(PAGE).toContain(slo.total.replaceAll('$w', '30d'));
  });
});
