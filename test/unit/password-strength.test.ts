// The user service's password-strength thread when a check runs past its budget. Piscina stops the
// thread that ran it and starts another, which must load zxcvbn's dictionaries again; the next check
// gets the cold budget until it has them, instead of each check being cut short in turn while the
// new thread loads. A check that comes while they load waits for them within its budget, which ends
// before the gateway's deadline, and running out of it does not stop the load. It runs the run's
// build (ECOWHEELS_COMPILED_DIR, global-setup.ts): a worker thread loads the compiled worker file,
// as in the service.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { PasswordStrengthThread } from '../../services/user/src/workers/password-strength';

const STRONG = 'copper kettle under nine lanterns';
const personal = { email: 'robin@example.com', displayName: 'Robin Rider' };

describe('the password-strength thread', () => {
  let Thread: typeof PasswordStrengthThread;
  beforeAll(async () => {
    ({ PasswordStrengthThread: Thread } = (await import(join(process.env.ECOWHEELS_COMPILED_DIR!, 'services', 'user', 'src', 'workers', 'password-strength.js'))) as {
      PasswordStrengthThread: typeof PasswordStrengthThread;
    });
  });

  it('gives the checks after one cut short the cold budget while the new thread loads the dictionaries', async () => {
    // A warm budget no check of a long password fits in; a cold one any load of the dictionaries does.
    const judge = new Thread({ checkMs: 20, maxMs: 20, coldMs: 60_000 });
    try {
      expect(await judge.problem(STRONG, personal)).toBeUndefined(); // the first: cold, with the warm-up before it
      // 200 characters: zxcvbn takes hundreds of milliseconds on them, so the check is running when cut.
      await expect(judge.problem(randomBytes(150).toString('base64'), personal)).rejects.toThrow(/try again in a few seconds/);
      expect(await judge.problem(STRONG, personal)).toBeUndefined();
    } finally {
      await judge.close();
    }
  });

  it('answers a check that comes while the dictionaries load "try again" within its budget, and the load goes on', async () => {
    // A cold budget far shorter than any load of the dictionaries: the first check cannot wait for them.
    const judge = new Thread({ checkMs: 60_000, maxMs: 60_000, coldMs: 50 });
    try {
      const asked = performance.now();
      await expect(judge.problem(STRONG, personal)).rejects.toThrow(/try again in a few seconds/);
      expect(performance.now() - asked).toBeLessThan(1000);
      // Cut short while it waited, the check left the thread loading; once it has them, checks pass.
      for (let tries = 0; ; tries += 1) {
        const answer = await judge.problem(STRONG, personal).then(() => 'passed', () => 'refused');
        if (answer === 'passed') break;
        if (tries === 100) throw new Error('the dictionaries never finished loading');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await judge.close();
    }
  });
});
