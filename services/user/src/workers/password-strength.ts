// Password strength is estimated on a worker thread, never on the event loop: zxcvbn is CPU work
// (tens of milliseconds even on the bounded prefix it reads), and while it ran there, a few clients
// signing up with long passwords kept `me` and `login` waiting for everyone. One thread at most,
// so sign-ups can take one core of a pod and never both; a short queue, and a budget per check,
// past which the thread is stopped and the sign-up answers UNAVAILABLE (try again). The thread
// starts soon after the service and loads zxcvbn's dictionaries at once: loaded on the first sign-up
// instead, on a busy machine that sign-up outlasted the gateway's 3 s deadline for a subgraph, and
// the rider was told to retry. A sign-up that comes while they load waits for them, within the same
// budget as any other, and answers "try again" past it; the load itself goes on.
import { extname, join } from 'node:path';
import { Piscina } from 'piscina';
import { DomainError } from '../../../platform/src/errors';
import type { PersonalWords } from '../domain/password-policy';
import type { PasswordJudge } from '../domain/sign-ups';

/**
 * Run time of one check (about 50 ms is usual); a check that waits behind others gets theirs too,
 * so a burst of honest sign-ups on a busy machine is not refused for the queue it stood in...
 */
const CHECK_BUDGET_MS = 1500;
/** ...up to this, waiting included: past it the sign-up is refused with "try again", before the
 * gateway's 3 s deadline for a subgraph, so the rider is never told "did not answer in time" about a
 * sign-up that then goes on and is half done (an account without its answer). No account exists
 * before the check; only the address's sign-up count has been taken. */
const MAX_BUDGET_MS = 1800;
/**
 * The same for a check that comes while the thread loads zxcvbn's dictionaries (a second or two, at
 * the start or after a thread was stopped), waiting for them included. It used to be 10 s, longer
 * than the gateway's deadline: a sign-up in a replica's first seconds on a busy machine then timed
 * out at the gateway and went on to make an account whose answer nobody got (an unconfirmed rider
 * left behind, and a second code mailed at the rider's retry).
 */
const COLD_CHECK_BUDGET_MS = MAX_BUDGET_MS;
/** Checks waiting for the thread; past that, sign-ups are refused until it catches up. */
const MAX_WAITING = 8;

/**
 * How long after the service starts the thread starts, so that it does not slow the start itself
 * (six processes share the cores as `npm start` brings them up); a sign-up sooner starts it at once.
 */
const START_AFTER_MS = 3000;

/** The budgets above, which a test may shorten. */
export interface CheckBudgets {
  checkMs: number;
  maxMs: number;
  coldMs: number;
}
const BUDGETS: CheckBudgets = { checkMs: CHECK_BUDGET_MS, maxMs: MAX_BUDGET_MS, coldMs: COLD_CHECK_BUDGET_MS };

export class PasswordStrengthThread implements PasswordJudge {
  /** Checks submitted and not finished: the one that runs, and the ones that wait. */
  private inFlight = 0;
  /** Whether the dictionaries are loaded: a check that comes first waits for them. */
  private warm = false;
  private pool?: Piscina;
  private readonly starting = setTimeout(() => this.started(), START_AFTER_MS).unref();

  constructor(private readonly budgets: CheckBudgets = BUDGETS) {}

  /** The thread, started once with a check that loads the dictionaries (its answer does not matter). */
  private started(): Piscina {
    if (!this.pool) {
      clearTimeout(this.starting);
      this.pool = new Piscina({
        // The worker's own file, as this one runs: TypeScript under tsx, JavaScript once built.
        filename: join(__dirname, `password-strength-worker${extname(__filename)}`),
        // Always one, with its dictionaries: a replica is always ready for a sign-up. The thread
        // costs the idle process about 60 MB of RSS (its own V8 heap and the dictionaries; the
        // bench's P5 shows the user service at about 200 MB idle against 125 for its peers), well
        // within its 512Mi limit.
        minThreads: 1,
        maxThreads: 1,
        maxQueue: MAX_WAITING,
      });
      this.warmUp(this.pool);
    }
    return this.pool;
  }

  /**
   * Runs a check whose answer does not matter on the thread, so that it loads the dictionaries; the
   * checks that come meanwhile get the cold budget. A failure here shows again, with its reason, on
   * the first real check.
   */
  private warmUp(pool: Piscina): void {
    this.warm = false;
    void pool
      .run({ password: 'warm-up', personal: { email: '', displayName: '' } })
      .catch(() => undefined)
      .finally(() => (this.warm = true));
  }

  async problem(password: string, personal: PersonalWords): Promise<string | undefined> {
    const pool = this.started();
    this.inFlight += 1;
    const { checkMs, maxMs, coldMs } = this.budgets;
    // A check that comes while the dictionaries load waits behind the load in the thread's queue:
    // running out of time there takes it off the queue, and leaves the load to go on.
    const signal = AbortSignal.timeout(this.warm && pool.threads.length > 0 ? Math.min(this.inFlight * checkMs, maxMs) : coldMs);
    try {
      return (await pool.run({ password, personal }, { signal })) as string | undefined;
    } catch (error) {
      // Piscina stops the thread of a check cut short while it ran, and starts a new one without
      // the dictionaries. Warm it again: otherwise each next check would have to load them within a
      // warm budget, be cut short in turn, and stop that thread too, for as long as the machine is
      // busy.
      if (signal.aborted && this.warm) this.warmUp(pool);
      throw new DomainError('UNAVAILABLE', 'too many sign-ups are being checked just now; try again in a few seconds', { cause: error });
    } finally {
      this.inFlight -= 1;
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.starting);
    await this.pool?.destroy();
  }
}
