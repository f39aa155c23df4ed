// When the launcher starts a dead process again: after a backoff that doubles with each crash in
// the last minute (0.5 s, 1 s, 2 s, 4 s, 8 s), and not at all after a sixth, since a process that
// dies that often is broken, not unlucky.
import type { ProcessName } from './launched-service';

/** A process the launcher supervises: a service, or the embedded PostgreSQL server under them. */
export type SupervisedName = ProcessName | 'postgres';

export type SupervisionEvent =
  | { kind: 'died'; name: SupervisedName; ending: string; restartInMs: number; lastLines: string[] }
  | { kind: 'restarted'; name: SupervisedName; pid: number }
  | { kind: 'gave-up'; name: SupervisedName; ending: string; crashes: number; lastLines: string[] };

/**
 * Whether a process that ended without the launcher asking was stopped by someone (a signal to
 * stop, or a clean exit), rather than crashed: Ctrl-C in a terminal sends SIGINT to the launcher and
 * to every service of its group at once, and a service may see it first.
 */
export const stoppedOnPurpose = (ending: string) => /SIGINT|SIGTERM|SIGHUP|exit code 0$/.test(ending);

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly maxCrashes = 5,
    private readonly windowMs = 60_000,
    private readonly firstDelayMs = 500,
  ) {}

  /** Records a crash at `now`; answers how long to wait before the restart, or undefined to give up. */
  crashed(now: number): number | undefined {
    this.crashes = [...this.crashes.filter((at) => now - at < this.windowMs), now];
    if (this.crashes.length > this.maxCrashes) return undefined;
    return this.firstDelayMs * 2 ** (this.crashes.length - 1);
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}

/** One line for a person watching `npm start`. */
export function describeSupervisionEvent(event: SupervisionEvent): string {
  const tail = 'lastLines' in event && event.lastLines.length > 0 ? `\n  its last lines:\n    ${event.lastLines.join('\n    ')}` : '';
  switch (event.kind) {
    case 'died':
      return `! ${event.name} stopped unexpectedly (${event.ending}); starting it again in ${(event.restartInMs / 1000).toFixed(1)} s${tail}`;
    case 'restarted':
      return `✓ ${event.name} is running again (pid ${event.pid})`;
    case 'gave-up':
      return `✗ ${event.name} stopped ${event.crashes} times within a minute (last: ${event.ending}); stopping EcoWheels${tail}`;
  }
}
