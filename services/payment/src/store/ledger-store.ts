// The payment service's tables: wallets, holds, the ledger, idempotency records and the sandbox
// card processor's holds.
import { join } from 'node:path';
import type { Database, Sql } from '../../../platform/src/database/database';
import type { CardHold, CardHoldRequest } from '../domain/card-provider';
import type { LedgerStore, LedgerTransaction, RecordedOperation } from '../domain/wallet-ledger';
import type { Hold, HoldStatus, LedgerEntry, LedgerEntryKind, Wallet } from '../domain/wallet';
import type { SandboxHoldLog, SandboxHoldStatus } from '../providers/sandbox-card-provider';

export const PAYMENT_MIGRATIONS = join(__dirname, 'migrations');

interface WalletRow {
  rider_id: string;
  currency: string;
  available_minor: number;
  held_minor: number;
  updated_at: Date;
}

const WALLET_COLUMNS = 'rider_id, currency, available_minor, held_minor, updated_at';

const toWallet = (row: WalletRow): Wallet => ({
  riderId: row.rider_id,
  currency: row.currency,
  availableMinor: row.available_minor,
  heldMinor: row.held_minor,
  updatedAt: row.updated_at,
});

interface HoldRow {
  hold_key: string;
  rider_id: string;
  status: HoldStatus;
  currency: string;
  authorized_minor: number;
  captured_minor: number;
  refunded_minor: number;
  created_at: Date;
  updated_at: Date;
}

const HOLD_COLUMNS =
  'hold_key, rider_id, status, currency, authorized_minor, captured_minor, refunded_minor, created_at, updated_at';

const toHold = (row: HoldRow): Hold => ({
  holdKey: row.hold_key,
  riderId: row.rider_id,
  status: row.status,
  currency: row.currency,
  authorizedMinor: row.authorized_minor,
  capturedMinor: row.captured_minor,
  refundedMinor: row.refunded_minor,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface EntryRow {
  seq: number;
  id: string;
  rider_id: string;
  kind: LedgerEntryKind;
  currency: string;
  available_delta_minor: number;
  held_delta_minor: number;
  hold_key: string | null;
  description: string;
  created_at: Date;
}

const ENTRY_COLUMNS =
  'seq, id, rider_id, kind, currency, available_delta_minor, held_delta_minor, hold_key, description, created_at';

const toEntry = (row: EntryRow): LedgerEntry => ({
  id: row.id,
  riderId: row.rider_id,
  kind: row.kind,
  currency: row.currency,
  availableDeltaMinor: row.available_delta_minor,
  heldDeltaMinor: row.held_delta_minor,
  holdKey: row.hold_key ?? undefined,
  description: row.description,
  createdAt: row.created_at,
});

async function findHolds(sql: Sql, keys: readonly string[], lock = false): Promise<Hold[]> {
  const rows = await sql.query<HoldRow>(
    `SELECT ${HOLD_COLUMNS} FROM holds WHERE hold_key = ANY($1::text[])${lock ? ' FOR UPDATE' : ''}`,
    [keys],
  );
  return rows.map(toHold);
}

/** `($first, ..., $first+8)`: one row of nine values. */
const row = (first: number) => `(${Array.from({ length: 9 }, (_, index) => `$${first + index}`).join(', ')})`;

/** A hold's insert, or its update where it exists, with its values from $first on (holdValues). */
const upsertHold = (first: number) =>
  `INSERT INTO holds (${HOLD_COLUMNS}) VALUES ${row(first)}
   ON CONFLICT (hold_key) DO UPDATE SET
     status = EXCLUDED.status, captured_minor = EXCLUDED.captured_minor,
     refunded_minor = EXCLUDED.refunded_minor, updated_at = EXCLUDED.updated_at`;

const holdValues = (hold: Hold): unknown[] => [
  hold.holdKey,
  hold.riderId,
  hold.status,
  hold.currency,
  hold.authorizedMinor,
  hold.capturedMinor,
  hold.refundedMinor,
  hold.createdAt,
  hold.updatedAt,
];

const sum = (entries: readonly LedgerEntry[], field: 'availableDeltaMinor' | 'heldDeltaMinor') => entries.reduce((total, entry) => total + entry[field], 0);

class LedgerTransactionSql implements LedgerTransaction {
  constructor(private readonly tx: Sql) {}

  /** The rider's wallet, locked to the end of the transaction; made (empty) first when they have none yet. */
  async lockWallet(riderId: string, currency: string): Promise<Wallet> {
    const lock = () => this.tx.query<WalletRow>(`SELECT ${WALLET_COLUMNS} FROM wallets WHERE rider_id = $1 FOR UPDATE`, [riderId]);
    const [existing] = await lock();
    if (existing) return toWallet(existing);
    // A concurrent first payment may make it meanwhile: then this insert does nothing, and the lock
    // waits for that transaction and finds its wallet.
    await this.tx.query('INSERT INTO wallets (rider_id, currency) VALUES ($1, $2) ON CONFLICT (rider_id) DO NOTHING', [riderId, currency]);
    return toWallet((await lock())[0]);
  }

  async lockHold(holdKey: string): Promise<Hold | undefined> {
    return (await findHolds(this.tx, [holdKey], true))[0];
  }

  async lockWalletOfHold(holdKey: string): Promise<Wallet | undefined> {
    const [wallet] = await this.tx.query<WalletRow>(
      `SELECT ${WALLET_COLUMNS} FROM wallets WHERE rider_id = (SELECT rider_id FROM holds WHERE hold_key = $1) FOR UPDATE`,
      [holdKey],
    );
    return wallet && toWallet(wallet);
  }

  async saveHold(hold: Hold): Promise<void> {
    await this.tx.query(upsertHold(1), holdValues(hold));
  }

  /**
   * The entries, the hold when one is given, and the wallet moved by the entries' deltas: one
   * statement (data-modifying WITHs), so all of it or none. Rows of one INSERT take their sequence
   * numbers in the order given.
   */
  async append(entries: readonly LedgerEntry[], hold?: Hold): Promise<Wallet> {
    const [first, ...rest] = entries;
    if (!first || rest.some((entry) => entry.riderId !== first.riderId)) throw new Error('append: one or more entries, all of one rider');
    const values: unknown[] = [first.riderId, sum(entries, 'availableDeltaMinor'), sum(entries, 'heldDeltaMinor'), entries.at(-1)!.createdAt];
    const savedHold = hold ? `saved_hold AS (${upsertHold(values.length + 1)}), ` : '';
    if (hold) values.push(...holdValues(hold));
    const rows = entries.map((entry) => {
      const from = values.length + 1;
      values.push(entry.id, entry.riderId, entry.kind, entry.currency, entry.availableDeltaMinor, entry.heldDeltaMinor, entry.holdKey ?? null, entry.description, entry.createdAt);
      return row(from);
    });
    const moved = await this.tx.query<WalletRow>(
      `WITH ${savedHold}entries AS (
         INSERT INTO ledger_entries (id, rider_id, kind, currency, available_delta_minor, held_delta_minor, hold_key, description, created_at)
         VALUES ${rows.join(', ')}
       )
       UPDATE wallets SET available_minor = available_minor + $2, held_minor = held_minor + $3, updated_at = $4
       WHERE rider_id = $1 RETURNING ${WALLET_COLUMNS}`,
      values,
    );
    return toWallet(moved[0]);
  }

  async findOperation(idempotencyKey: string): Promise<RecordedOperation | undefined> {
    const rows = await this.tx.query<{ operation: RecordedOperation['operation']; request_fingerprint: string; result: { entryId: string; providerReference?: string } }>(
      'SELECT operation, request_fingerprint, result FROM idempotent_operations WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    const row = rows[0];
    return row && { operation: row.operation, fingerprint: row.request_fingerprint, ...row.result };
  }

  async recordOperation(idempotencyKey: string, operation: RecordedOperation): Promise<void> {
    await this.tx.query(
      'INSERT INTO idempotent_operations (idempotency_key, operation, request_fingerprint, result) VALUES ($1, $2, $3, $4)',
      [
        idempotencyKey,
        operation.operation,
        operation.fingerprint,
        JSON.stringify({ entryId: operation.entryId, providerReference: operation.providerReference }),
      ],
    );
  }
}

export class LedgerStoreSql implements LedgerStore, SandboxHoldLog {
  constructor(private readonly db: Database) {}

  inTransaction<T>(fn: (tx: LedgerTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new LedgerTransactionSql(tx)));
  }

  async findWallet(riderId: string): Promise<Wallet | undefined> {
    const rows = await this.db.query<WalletRow>(`SELECT ${WALLET_COLUMNS} FROM wallets WHERE rider_id = $1`, [riderId]);
    return rows[0] && toWallet(rows[0]);
  }

  async findHold(holdKey: string): Promise<Hold | undefined> {
    return (await findHolds(this.db, [holdKey]))[0];
  }

  findHolds(holdKeys: readonly string[]): Promise<Hold[]> {
    return findHolds(this.db, holdKeys);
  }

  async findEntry(id: string): Promise<LedgerEntry | undefined> {
    const rows = await this.db.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE id = $1`, [id]);
    return rows[0] && toEntry(rows[0]);
  }

  async listEntries(riderId: string, limit: number, before?: number): Promise<{ entry: LedgerEntry; position: number }[]> {
    const rows = await this.db.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE rider_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
      [riderId, before ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return rows.map((row) => ({ entry: toEntry(row), position: row.seq }));
  }

  async findCardHold(idempotencyKey: string): Promise<CardHold | undefined> {
    const rows = await this.db.query<{ reference: string; card_last4: string }>(
      'SELECT reference, card_last4 FROM sandbox_card_charges WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    return rows[0] && { reference: rows[0].reference, cardLast4: rows[0].card_last4 };
  }

  async saveCardHold(idempotencyKey: string, hold: CardHold, request: CardHoldRequest): Promise<CardHold> {
    await this.db.query(
      `INSERT INTO sandbox_card_charges (idempotency_key, reference, card_last4, amount_minor, currency, status)
       VALUES ($1, $2, $3, $4, $5, 'HELD') ON CONFLICT (idempotency_key) DO NOTHING`,
      [idempotencyKey, hold.reference, hold.cardLast4, request.amount.amountMinor, request.amount.currency],
    );
    return (await this.findCardHold(idempotencyKey))!;
  }

  async settleCardHold(reference: string, to: 'CAPTURED' | 'RELEASED'): Promise<SandboxHoldStatus | undefined> {
    await this.db.query(`UPDATE sandbox_card_charges SET status = $2 WHERE reference = $1 AND status = 'HELD'`, [reference, to]);
    const rows = await this.db.query<{ status: SandboxHoldStatus }>('SELECT status FROM sandbox_card_charges WHERE reference = $1', [reference]);
    return rows[0]?.status;
  }
}
