// Sign-up through the public API, and confirming the address. A new rider gets a token at once and
// may browse; they log in by email, and may have their identity checked (and so ride), once they
// have confirmed the address with the code mailed to it.
//
// No email enumeration: a sign-up with an address that another rider has confirmed answers exactly
// like one with a free address (a token for a new, unconfirmed rider), and takes as long. The
// difference is only in the mail: a free address gets its code, and a taken one gets a note to its
// owner that someone tried to sign up with it. Without the mailbox, nobody can tell the two apart.
//
// Counted before any costly work, in counts every replica shares: sign-ups per client address (a
// refused weak password counts too, since judging it is the costly part), mail per address (so the
// service cannot be used to flood someone's mailbox), and codes tried per rider. The code is kept
// only as its hash, and is never logged.
import { randomUUID } from 'node:crypto';
import { failedPrecondition, invalidArgument } from '../../../platform/src/errors';
import type { AccessTokenIssuer, IssuedToken } from './access-tokens';
import { countAttempt, type AttemptCounter, type CounterFactory } from './attempt-counters';
import type { Mailer } from './mailer';
import type { PersonalWords } from './password-policy';
import { normaliseEmail, type Rider } from './rider';
import { generateEmailCode, hashPassword, hashRandomSecret } from './secrets';

/** Judges a password's strength: why it is refused, or undefined (workers/password-strength.ts). */
export interface PasswordJudge {
  problem(password: string, personal: PersonalWords): Promise<string | undefined>;
}

export interface SignUpStore {
  /** A rider whose address waits for confirmation; `code` is absent when it can never be confirmed. */
  insertSignUp(rider: Rider, passwordHash: string, code: { hash: string; expiresAt: Date } | undefined): Promise<void>;
  emailTaken(email: string): Promise<boolean>;
  /** Confirms the address when the code is the rider's and unexpired; 'taken' when another rider confirmed it first. */
  confirmEmail(riderId: string, codeHash: string): Promise<Rider | 'taken' | undefined>;
}

export interface SignUpSettings {
  /** Sign-ups allowed from one client address per hour. */
  perAddressPerHour: number;
  /** Mails sent to one address per hour. */
  mailsPerAddressPerHour: number;
  /** Codes a rider may try per hour. */
  codesPerRiderPerHour: number;
  /** How long a confirmation code is accepted (ms). */
  codeTtlMs: number;
}

export class SignUps {
  private readonly signUpsFrom: AttemptCounter;
  private readonly mailsTo: AttemptCounter;
  private readonly codesOf: AttemptCounter;

  constructor(
    private readonly store: SignUpStore,
    private readonly tokens: AccessTokenIssuer,
    private readonly mailer: Mailer,
    private readonly passwords: PasswordJudge,
    counters: CounterFactory,
    private readonly settings: SignUpSettings,
  ) {
    this.signUpsFrom = counters('sign-up-address', { points: settings.perAddressPerHour, windowSeconds: 3600 });
    this.mailsTo = counters('mail-address', { points: settings.mailsPerAddressPerHour, windowSeconds: 3600 });
    this.codesOf = counters('email-code-rider', { points: settings.codesPerRiderPerHour, windowSeconds: 3600 });
  }

  async signUp(input: { email: string; password: string; displayName: string }, clientAddress: string | undefined): Promise<{ rider: Rider; token: IssuedToken }> {
    const email = normaliseEmail(input.email);
    const displayName = input.displayName.trim();
    await countAttempt(this.signUpsFrom, clientAddress ?? 'unknown', `at most ${this.settings.perAddressPerHour} sign-ups an hour from one address`);
    const problem = await this.passwords.problem(input.password, { email, displayName });
    if (problem) throw invalidArgument(problem);
    // Whether the address is free or taken, it gets one mail per sign-up: the limit says nothing of which.
    await countAttempt(this.mailsTo, email, `at most ${this.settings.mailsPerAddressPerHour} sign-ups an hour with one email address`);
    const now = new Date();
    const rider: Rider = { id: randomUUID(), email, emailConfirmed: false, displayName, status: 'ACTIVE', verified: false, createdAt: now, updatedAt: now };
    // The same work either way (the hash, the insert, one mail), so the time does not tell either.
    const taken = await this.store.emailTaken(email);
    const { code, hash } = generateEmailCode();
    await this.store.insertSignUp(rider, await hashPassword(input.password), taken ? undefined : { hash, expiresAt: new Date(now.getTime() + this.settings.codeTtlMs) });
    await this.mailer.send(
      taken
        ? {
            to: email,
            subject: 'Someone signed up to EcoWheels with your address',
            text: 'Someone just signed up with this address, which already has an EcoWheels account. Nothing changed on your account. If it was you, log in instead (or reset your password); if not, you need do nothing.',
          }
        : {
            to: email,
            subject: 'Confirm your address for EcoWheels',
            text: `Welcome to EcoWheels, ${displayName}. Open ecowheels://confirm-email?code=${code} in the app, or enter this code: ${code}. It works for ${Math.round(this.settings.codeTtlMs / 3_600_000)} hours.`,
          },
    );
    return { rider, token: await this.tokens.issue(rider.id) };
  }

  async confirmEmail(riderId: string, code: string): Promise<Rider> {
    await countAttempt(this.codesOf, riderId, `at most ${this.settings.codesPerRiderPerHour} codes an hour`);
    const confirmed = await this.store.confirmEmail(riderId, hashRandomSecret(code.trim()));
    if (confirmed === 'taken') throw failedPrecondition('another account confirmed this address first; sign up with another address, or log in to that account');
    if (!confirmed) throw invalidArgument('the code is not this rider\'s, or it has expired; sign up again for a new one');
    return confirmed;
  }
}
