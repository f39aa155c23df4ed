// Tests that need a real server (PostgreSQL, Redis) run where it answers. In CI (CI=true) a missing
// server fails the suite, never skips it; on a laptop without one the suite is skipped with a note.
import { spawnSync } from 'node:child_process';

/** Marks a suite skipped for want of a server; summary-reporter.js lists each reason. */
export const SKIP_MARK = '[skipped: ';

export interface RequiredServer {
  name: string;
  url: string;
  /** A Node.js script that exits 0 when the server answers. */
  probe: string;
  /** How to point the tests elsewhere. */
  variable: string;
}

// Jest collects tests synchronously, so reachability is checked with a blocking probe in a child.
const answers = new Map<string, boolean>();
function answersSync(server: RequiredServer): boolean {
  if (!answers.has(server.name)) {
    answers.set(server.name, spawnSync(process.execPath, ['-e', server.probe], { timeout: 10_000 }).status === 0);
  }
  return answers.get(server.name)!;
}

export function describeNeeding(server: RequiredServer, name: string, body: () => void): void {
  if (answersSync(server)) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it(`needs the ${server.name} server`, () => {
        throw new Error(`${server.name} is not reachable at ${server.url}; .ci/run starts it, so this is a CI setup fault`);
      });
    });
  } else {
    // The reason is in the suite's name, so the summary line at the end of the run can say it.
    describe.skip(`${name} ${SKIP_MARK}no ${server.name} at ${server.url}; set ${server.variable}, or run a server]`, body);
  }
}
