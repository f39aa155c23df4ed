// The wallet's rules: top-ups, holds, captures, voids and refunds, each written as ledger entries
// in one transaction with the wallet row locked. Every operation is idempotent: top-ups and refunds
// by idempotency key, and holds by their hold key, since a hold is captured or voided at most once.
import { randomUUID } from 'node:crypto';
import { failedPrecondition, invalidArgument, notFound } from '../../../platform/src/errors';
import { formatMoney, type Money } from '../../../platform/src/money';
import { cardFingerprint, type CardProvider, type PaymentCard } from './card-provider';
import { emptyWallet, type Hold, type LedgerEntry, type LedgerEntryKind, type Wallet } from './wallet';

/** The store's operations inside one transaction. */
export interface LedgerTransaction {
  /** Locks the rider's wallet, opening an empty one first if there is none. */
  lockWallet(riderId: string, currency: string): Promise<Wallet>;
  /** Locks the wallet of the rider whose hold this is; undefined when there is no such hold. */
  lockWalletOfHold(holdKey: string): Promise<Wallet | undefined>;
  lockHold(holdKey: string): Promise<Hold | undefined>;
  saveHold(hold: Hold): Promise<void>;
  /**
   * Writes the entries (one or more, of one rider) and the hold when one is given, and applies the
   * entries' deltas to the wallet's totals, all at once; returns the wallet after.
   */
  append(entries: readonly LedgerEntry[], hold?: Hold): Promise<Wallet>;
  findOperation(idempotencyKey: string): Promise<RecordedOperation | undefined>;
  recordOperation(idempotencyKey: string, operation: RecordedOperation): Promise<void>;
}

export interface RecordedOperation {
  operation: 'TOP_UP' | 'REFUND';
  /** What the request asked for, to refuse the same key for a different request. */
  fingerprint: string;
  entryId: string;
  providerReference?: string;
}

export interface LedgerStore {
  inTransaction<T>(fn: (tx: LedgerTransaction) => Promise<T>): Promise<T>;
  findWallet(riderId: string): Promise<Wallet | undefined>;
  findHold(holdKey: string): Promise<Hold | undefined>;
  findHolds(holdKeys: readonly string[]): Promise<Hold[]>;
  findEntry(id: string): Promise<LedgerEntry | undefined>;
  /** Newest first; `before` is the position after which to continue. */
  listEntries(riderId: string, limit: number, before?: number): Promise<{ entry: LedgerEntry; position: number }[]>;
}

export interface LedgerSettings {
  /** Every wallet is kept in this currency. */
  currency: string;
  /** The largest single top-up, in minor units. */
  maxTopUpMinor: number;
}

export interface TopUpResult {
  wallet: Wallet;
  entry: LedgerEntry;
  providerReference: string;
}

export class WalletLedger {
  constructor(
    private readonly store: LedgerStore,
    private readonly cards: CardProvider,
    private readonly settings: LedgerSettings,
  ) {}

  async getWallet(riderId: string): Promise<Wallet> {
    return (await this.store.findWallet(riderId)) ?? emptyWallet(riderId, this.settings.currency);
  }

  /**
   * Holds the amount on the card, captures it, then credits the wallet. The card provider is
   * idempotent on the same key at each step, so a crash anywhere is healed by a retry: the card is
   * charged once and credited once. A decline happens at the hold, before anything is charged.
   */
  async topUp(input: { riderId: string; amount: Money; card: PaymentCard; idempotencyKey: string }): Promise<TopUpResult> {
    this.checkAmount(input.amount, 'amount');
    if (input.amount.amountMinor > this.settings.maxTopUpMinor) {
      const most = formatMoney({ amountMinor: this.settings.maxTopUpMinor, currency: this.settings.currency });
      throw invalidArgument(`amount: a single top-up is at most ${most}`);
    }
    const fingerprint = JSON.stringify(['TOP_UP', input.riderId, input.amount, cardFingerprint(input.card)]);
    const replay = await this.replay(input.idempotencyKey, fingerprint);
    if (replay) return replay;

    const charge = await this.cards.hold(input);
    await this.cards.capture(charge.reference, input.idempotencyKey);
    const entryId = await this.store.inTransaction(async (tx) => {
      await tx.lockWallet(input.riderId, this.settings.currency);
      const earlier = await tx.findOperation(input.idempotencyKey);
      if (earlier) return assertSameRequest(earlier, fingerprint, input.idempotencyKey).entryId;
      const entry = this.entry(input.riderId, 'TOP_UP', input.amount.amountMinor, 0, `Top-up by card ending ${charge.cardLast4}`);
      await tx.append([entry]);
      await tx.recordOperation(input.idempotencyKey, { operation: 'TOP_UP', fingerprint, entryId: entry.id, providerReference: charge.reference });
      return entry.id;
    });
    return this.operationResult(input.riderId, entryId, charge.reference);
  }

  authorize(input: { riderId: string; amount: Money; holdKey: string; description: string }): Promise<{ hold: Hold; wallet: Wallet }> {
    this.checkAmount(input.amount, 'amount');
    const { riderId, holdKey } = input;
    const amountMinor = input.amount.amountMinor;
    return this.store.inTransaction(async (tx) => {
      const wallet = await tx.lockWallet(riderId, this.settings.currency);
      const existing = await tx.lockHold(holdKey);
      if (existing) {
        if (existing.status === 'VOIDED') {
          throw failedPrecondition(`hold ${holdKey} was voided; a voided hold cannot be authorized again`);
        }
        if (existing.riderId !== riderId || existing.authorizedMinor !== amountMinor) {
          throw invalidArgument(`hold_key ${holdKey} was already used for a different rider or amount; use a new key`);
        }
        return { hold: existing, wallet };
      }
      if (wallet.availableMinor < amountMinor) {
        throw failedPrecondition(
          `insufficient funds: ${this.money(wallet.availableMinor)} available, ${this.money(amountMinor)} needed; top up the wallet`,
        );
      }
      const now = new Date();
      const hold: Hold = {
        holdKey,
        riderId,
        status: 'AUTHORIZED',
        currency: this.settings.currency,
        authorizedMinor: amountMinor,
        capturedMinor: 0,
        refundedMinor: 0,
        createdAt: now,
        updatedAt: now,
      };
      const after = await tx.append([this.entry(riderId, 'HOLD', -amountMinor, amountMinor, input.description, holdKey)], hold);
      return { hold, wallet: after };
    });
  }

  /** Takes the final amount and releases the rest. Past the hold, the rest comes from available. */
  async capture(holdKey: string, amount: Money): Promise<{ hold: Hold; wallet: Wallet }> {
    this.checkAmount(amount, 'amount', { allowZero: true });
    return this.store.inTransaction(async (tx) => {
      const wallet = await this.lockWalletOfExistingHold(tx, holdKey);
      const hold = await this.lockExistingHold(tx, holdKey);
      const { riderId } = hold;
      if (hold.status === 'CAPTURED') {
        if (hold.capturedMinor !== amount.amountMinor) {
          throw failedPrecondition(`hold ${holdKey} was already captured for ${this.money(hold.capturedMinor)}`);
        }
        return { hold, wallet };
      }
      if (hold.status === 'VOIDED') throw failedPrecondition(`hold ${holdKey} was voided; there is nothing to capture`);

      const fromHold = Math.min(amount.amountMinor, hold.authorizedMinor);
      const beyondHold = amount.amountMinor - fromHold;
      const rest = hold.authorizedMinor - fromHold;
      const entries = [this.entry(riderId, 'CAPTURE', -beyondHold, -fromHold, 'Payment captured', holdKey)];
      if (rest > 0) entries.push(this.entry(riderId, 'RELEASE', rest, -rest, 'Rest of hold released', holdKey));
      const captured: Hold = { ...hold, status: 'CAPTURED', capturedMinor: amount.amountMinor, updatedAt: new Date() };
      return { hold: captured, wallet: await tx.append(entries, captured) };
    });
  }

  /**
   * Cancels a hold. A key never authorized is recorded as voided, so an Authorize that was sent
   * before this Void but arrives after it (a retry, a slow network) cannot hold money forever.
   */
  async void(holdKey: string, riderId: string | undefined): Promise<{ hold: Hold; wallet: Wallet }> {
    const known = await this.store.findHold(holdKey);
    const owner = known?.riderId ?? riderId;
    if (!owner) throw invalidArgument(`hold ${holdKey} is unknown; pass rider_id to void it before it exists`);
    return this.store.inTransaction(async (tx) => {
      const wallet = await tx.lockWallet(owner, this.settings.currency);
      const hold = await tx.lockHold(holdKey);
      const now = new Date();
      if (!hold) {
        const tombstone: Hold = {
          holdKey,
          riderId: owner,
          status: 'VOIDED',
          currency: this.settings.currency,
          authorizedMinor: 0,
          capturedMinor: 0,
          refundedMinor: 0,
          createdAt: now,
          updatedAt: now,
        };
        await tx.saveHold(tombstone);
        return { hold: tombstone, wallet };
      }
      if (hold.status === 'VOIDED') return { hold, wallet };
      if (hold.status === 'CAPTURED') throw failedPrecondition(`hold ${holdKey} was already captured; refund it instead`);
      const voided: Hold = { ...hold, status: 'VOIDED', updatedAt: now };
      const after = await tx.append([this.entry(owner, 'RELEASE', hold.authorizedMinor, -hold.authorizedMinor, 'Hold voided', holdKey)], voided);
      return { hold: voided, wallet: after };
    });
  }

  async refund(input: { holdKey: string; amount: Money; idempotencyKey: string; reason: string }): Promise<{ hold: Hold; wallet: Wallet; entry: LedgerEntry }> {
    this.checkAmount(input.amount, 'amount');
    const fingerprint = JSON.stringify(['REFUND', input.holdKey, input.amount]);
    const { riderId, entryId } = await this.store.inTransaction(async (tx) => {
      const { riderId } = await this.lockWalletOfExistingHold(tx, input.holdKey);
      const earlier = await tx.findOperation(input.idempotencyKey);
      if (earlier) return { riderId, entryId: assertSameRequest(earlier, fingerprint, input.idempotencyKey).entryId };
      const hold = await this.lockExistingHold(tx, input.holdKey);
      if (hold.status !== 'CAPTURED') throw failedPrecondition(`hold ${input.holdKey} has not been captured; void it instead`);
      const refundable = hold.capturedMinor - hold.refundedMinor;
      if (input.amount.amountMinor > refundable) {
        throw failedPrecondition(`at most ${this.money(refundable)} of hold ${input.holdKey} can still be refunded`);
      }
      const entry = this.entry(riderId, 'REFUND', input.amount.amountMinor, 0, `Refund: ${input.reason}`, input.holdKey);
      await tx.append([entry], { ...hold, refundedMinor: hold.refundedMinor + input.amount.amountMinor, updatedAt: new Date() });
      await tx.recordOperation(input.idempotencyKey, { operation: 'REFUND', fingerprint, entryId: entry.id });
      return { riderId, entryId: entry.id };
    });
    const [{ wallet, entry }, hold] = await Promise.all([
      this.operationResult(riderId, entryId, ''),
      this.store.findHold(input.holdKey),
    ]);
    return { hold: hold!, wallet, entry };
  }

  getHolds(holdKeys: readonly string[]): Promise<Hold[]> {
    return holdKeys.length === 0 ? Promise.resolve([]) : this.store.findHolds([...new Set(holdKeys)]);
  }

  listEntries(riderId: string, limit: number, before?: number) {
    return this.store.listEntries(riderId, limit, before);
  }

  private async replay(idempotencyKey: string, fingerprint: string): Promise<TopUpResult | undefined> {
    const earlier = await this.store.inTransaction((tx) => tx.findOperation(idempotencyKey));
    if (!earlier) return undefined;
    assertSameRequest(earlier, fingerprint, idempotencyKey);
    const entry = await this.store.findEntry(earlier.entryId);
    return this.operationResult(entry!.riderId, earlier.entryId, earlier.providerReference ?? '');
  }

  /** The wallet as it is now and the entry an operation wrote: what a replay of it answers too. */
  private async operationResult(riderId: string, entryId: string, providerReference: string): Promise<TopUpResult> {
    const [wallet, entry] = await Promise.all([this.getWallet(riderId), this.store.findEntry(entryId)]);
    return { wallet, entry: entry!, providerReference };
  }

  /** The wallet of the hold's rider, locked: the first lock of a capture or a refund, as authorize's is the wallet's. */
  private async lockWalletOfExistingHold(tx: LedgerTransaction, holdKey: string): Promise<Wallet> {
    const wallet = await tx.lockWalletOfHold(holdKey);
    if (!wallet) throw notFound(`hold ${holdKey} does not exist`);
    return wallet;
  }

  private async lockExistingHold(tx: LedgerTransaction, holdKey: string): Promise<Hold> {
    const hold = await tx.lockHold(holdKey);
    if (!hold) throw notFound(`hold ${holdKey} does not exist`);
    return hold;
  }

  private checkAmount(amount: Money, field: string, options: { allowZero?: boolean } = {}): void {
    if (amount.currency !== this.settings.currency) {
      throw invalidArgument(`${field}.currency: wallets are kept in ${this.settings.currency}, not ${amount.currency}`);
    }
    if (amount.amountMinor < 0 || (amount.amountMinor === 0 && !options.allowZero)) {
      throw invalidArgument(`${field}.amount_minor: must be ${options.allowZero ? 'zero or more' : 'more than zero'}`);
    }
  }

  private entry(
    riderId: string,
    kind: LedgerEntryKind,
    availableDeltaMinor: number,
    heldDeltaMinor: number,
    description: string,
    holdKey?: string,
  ): LedgerEntry {
    return {
      id: randomUUID(),
      riderId,
      kind,
      currency: this.settings.currency,
      availableDeltaMinor,
      heldDeltaMinor,
      holdKey,
      description,
      createdAt: new Date(),
    };
  }

  private money(amountMinor: number): string {
    return formatMoney({ amountMinor, currency: this.settings.currency });
  }
}

function assertSameRequest(earlier: RecordedOperation, fingerprint: string, idempotencyKey: string): RecordedOperation {
  if (earlier.fingerprint !== fingerprint) {
    throw invalidArgument(`idempotency_key ${idempotencyKey} was already used for a different request; use a new key`);
  }
  return earlier;
}
