// `npm run audit`: the vulnerability gate. `npm audit --omit=dev --json` lists the advisories of the
// runtime dependencies (what the images ship); this fails on any high or critical one that
// supply-chain/audit-allowlist.json does not accept, and on any allowlist entry past its expiry, so
// an accepted risk is looked at again. Moderate and low advisories are printed, not fatal. Dev
// dependencies (test tools, the bundler) never reach an image and are not judged.
// The delivery workflow (.github/workflows/delivery.yml) runs it on every change.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const ALLOWLIST = join(__dirname, 'audit-allowlist.json');
const FATAL = new Set(['high', 'critical']);

const allowlistSchema = z.object({
  allow: z.array(
    z.strictObject({
      advisory: z.string().regex(/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/, 'a GitHub advisory id, GHSA-xxxx-xxxx-xxxx'),
      package: z.string().min(1),
      reason: z.string().min(20, 'say why the risk is accepted (20 characters or more)'),
      expires: z.iso.date('an expiry date, YYYY-MM-DD'),
    }),
  ),
});
export type Allowlist = z.infer<typeof allowlistSchema>['allow'];

/** What `npm audit --json` reports of a vulnerable package (npm 7 and later). */
interface AuditedPackage {
  name: string;
  severity: 'info' | 'low' | 'moderate' | 'high' | 'critical';
  via: (string | { url?: string; title?: string; severity?: string })[];
}
export interface AuditReport {
  vulnerabilities?: Record<string, AuditedPackage>;
}

export function readAllowlist(path = ALLOWLIST): Allowlist {
  return allowlistSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).allow;
}

const advisoriesOf = (pkg: AuditedPackage) =>
  pkg.via.flatMap((via) => (typeof via === 'string' ? [] : [/GHSA(-[a-z0-9]{4}){3}/.exec(via.url ?? '')?.[0] ?? via.url ?? via.title ?? 'unknown advisory']));

/** The gate's verdict: what fails it (empty: it passes), and what is only reported. */
export function judge(report: AuditReport, allowlist: Allowlist, today: Date): { failures: string[]; notes: string[] } {
  const failures: string[] = [];
  const notes: string[] = [];
  const day = today.toISOString().slice(0, 10);
  for (const entry of allowlist) {
    if (entry.expires < day) failures.push(`allowlist entry ${entry.advisory} (${entry.package}) expired on ${entry.expires}: fix it, or renew it with a reason`);
  }
  for (const pkg of Object.values(report.vulnerabilities ?? {})) {
    const advisories = advisoriesOf(pkg);
    if (!FATAL.has(pkg.severity)) {
      notes.push(`${pkg.severity} ${pkg.name}: ${advisories.join(', ') || 'through its dependencies'}`);
      continue;
    }
    // Only a package's own advisories are judged here; one reached through a dependency is judged at that dependency.
    if (advisories.length === 0) continue;
    const open = advisories.filter((advisory) => !allowlist.some((entry) => entry.package === pkg.name && entry.advisory === advisory && entry.expires >= day));
    if (open.length > 0) failures.push(`${pkg.severity} ${pkg.name}: ${open.join(', ')}`);
  }
  return { failures, notes };
}

if (require.main === module) {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', cwd: join(__dirname, '..') });
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    console.error(`npm audit gave no report (the registry's audit endpoint may be unreachable):\n${run.stderr}`);
    process.exit(2);
  }
  if (!report.vulnerabilities && run.status !== 0) {
    console.error(`npm audit failed:\n${run.stderr}`);
    process.exit(2);
  }
  const { failures, notes } = judge(report, readAllowlist(), new Date());
  for (const note of notes) console.log(`note: ${note}`);
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  console.log(failures.length === 0 ? 'audit: no high or critical advisory in runtime dependencies outside the allowlist' : `audit: ${failures.length} failure(s)`);
  process.exit(failures.length === 0 ? 0 : 1);
}
