// The gates on the proto contracts: buf lint (STANDARD), no breaking change against the recorded
// baseline (and against the main branch when working on another branch), and generated code that
// matches the protos. Each gate is also shown failing on a deliberately bad change, so it is known
// to bite.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BUF = join(ROOT, 'node_modules', '.bin', 'buf');
const BASELINE = 'proto/breaking-baseline.binpb';
const GENERATED = 'services/platform/src/generated';

function buf(args: string[], cwd = ROOT): { status: number | null; output: string } {
  const run = spawnSync(BUF, args, { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A scratch copy of the buf module, to try a bad change in. */
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecowheels-proto-'));
  cpSync(join(ROOT, 'proto'), join(dir, 'proto'), { recursive: true });
  cpSync(join(ROOT, 'buf.yaml'), join(dir, 'buf.yaml'));
  return dir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('proto contracts', () => {
  it('pass buf lint with the STANDARD rules', () => {
    const result = buf(['lint']);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('lint fails on an enum without an _UNSPECIFIED zero value', () => {
    const dir = scratchCopy();
    try {
      const file = join(dir, 'proto/ecowheels/ride/v1/ride_service.proto');
      writeFileSync(file, readFileSync(file, 'utf8').replace('RIDE_STATUS_UNSPECIFIED = 0', 'RIDE_STATUS_NONE = 0'));
      const result = buf(['lint'], dir);
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/should be suffixed with "_UNSPECIFIED"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('have no breaking change against the recorded baseline', () => {
    const result = buf(['breaking', '--against', BASELINE]);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('have no breaking change against the main branch, when on another branch', () => {
    const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const hasMain = spawnSync('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/main'], { cwd: ROOT }).status === 0;
    if (branch === 'main' || !hasMain) return; // on main, the baseline above is the comparison
    const result = buf(['breaking', '--against', '.git#branch=main,subdir=proto']);
    expect(result.output).toBe('');
  });

  it('breaking check fails when a field is removed', () => {
    const dir = scratchCopy();
    try {
      const file = join(dir, 'proto/ecowheels/payment/v1/payment_service.proto');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/\s*\/\/ Why, for the ledger[^\n]*\n\s*string reason = 4;/, ''));
      const result = buf(['breaking', '--against', join(ROOT, BASELINE)], dir);
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/FIELD_NO_DELETE|deleted/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generated TypeScript matches the protos (run `npm run gen` if this fails)', () => {
    const out = mkdtempSync(join(tmpdir(), 'ecowheels-gen-'));
    try {
      const result = buf(['generate', '-o', out]);
      expect(result.status).toBe(0);
      const fresh = join(out, GENERATED);
      const committed = join(ROOT, GENERATED);
      const names = (dir: string) => filesUnder(dir).map((file) => relative(dir, file)).sort();
      expect(names(committed)).toEqual(names(fresh));
      for (const name of names(fresh)) {
        expect({ name, text: readFileSync(join(committed, name), 'utf8') }).toEqual({ name, text: readFileSync(join(fresh, name), 'utf8') });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
