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

  async saveHold(hold: Hold): Promise<void> {
    await this.tx.query(
      `INSERT INTO holds (${HOLD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (hold_key) DO UPDATE SET
         status = EXCLUDED.status, captured_minor = EXCLUDED.captured_minor,
         refunded_minor = EXCLUDED.refunded_minor, updated_at = EXCLUDED.updated_at`,
      [
        hold.holdKey,
        hold.riderId,
        hold.status,
        hold.currency,
        hold.authorizedMinor,
        hold.capturedMinor,
        hold.refundedMinor,
        hold.createdAt,
        hold.updatedAt,
      ],
    );
  }

  /** Appends the entry and moves the wallet by it, in one statement. */
  async append(entry: LedgerEntry): Promise<Wallet> {
    const moved = await this.tx.query<WalletRow>(
      `WITH entry AS (
         INSERT INTO ledger_entries (id, rider_id, kind, currency, available_delta_minor, held_delta_minor, hold_key, description, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       )
       UPDATE wallets SET available_minor = available_minor + $5, held_minor = held_minor + $6, updated_at = $9
       WHERE rider_id = $2 RETURNING ${WALLET_COLUMNS}`,
      [entry.id, entry.riderId, entry.kind, entry.currency, entry.availableDeltaMinor, entry.heldDeltaMinor, entry.holdKey ?? null, entry.description, entry.createdAt],
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
