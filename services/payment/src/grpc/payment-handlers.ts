// PaymentService over gRPC: validates each request, calls the ledger, maps the answer to proto.
import { z } from 'zod';
import {
  HoldStatus as ProtoHoldStatus,
  LedgerEntryKind as ProtoLedgerEntryKind,
  type Hold as ProtoHold,
  type LedgerEntry as ProtoLedgerEntry,
  type PaymentServiceServer,
  type Wallet as ProtoWallet,
} from '../../../platform/src/generated/ecowheels/payment/v1/payment_service';
import type { AsyncHandlers } from '../../../platform/src/grpc/server';
import {
  idempotencyKeyField,
  moneyField,
  pageSizeField,
  parseRequest,
  uuidField,
} from '../../../platform/src/grpc/validation';
import { fetchPage } from '../../../platform/src/page-token';
import type { Hold, HoldStatus, LedgerEntry, LedgerEntryKind, Wallet } from '../domain/wallet';
import type { WalletLedger } from '../domain/wallet-ledger';
import { cardNumberField } from '../domain/card-provider';

const HOLD_STATUS: Record<HoldStatus, ProtoHoldStatus> = {
  AUTHORIZED: ProtoHoldStatus.HOLD_STATUS_AUTHORIZED,
  CAPTURED: ProtoHoldStatus.HOLD_STATUS_CAPTURED,
  VOIDED: ProtoHoldStatus.HOLD_STATUS_VOIDED,
};

const ENTRY_KIND: Record<LedgerEntryKind, ProtoLedgerEntryKind> = {
  TOP_UP: ProtoLedgerEntryKind.LEDGER_ENTRY_KIND_TOP_UP,
  HOLD: ProtoLedgerEntryKind.LEDGER_ENTRY_KIND_HOLD,
  CAPTURE: ProtoLedgerEntryKind.LEDGER_ENTRY_KIND_CAPTURE,
  RELEASE: ProtoLedgerEntryKind.LEDGER_ENTRY_KIND_RELEASE,
  REFUND: ProtoLedgerEntryKind.LEDGER_ENTRY_KIND_REFUND,
};

const money = (amountMinor: number, currency: string) => ({ amountMinor, currency });

const toProtoWallet = (wallet: Wallet): ProtoWallet => ({
  riderId: wallet.riderId,
  available: money(wallet.availableMinor, wallet.currency),
  held: money(wallet.heldMinor, wallet.currency),
  updateTime: wallet.updatedAt,
});

const toProtoHold = (hold: Hold): ProtoHold => ({
  holdKey: hold.holdKey,
  riderId: hold.riderId,
  status: HOLD_STATUS[hold.status],
  authorized: money(hold.authorizedMinor, hold.currency),
  captured: money(hold.capturedMinor, hold.currency),
  refunded: money(hold.refundedMinor, hold.currency),
  createTime: hold.createdAt,
  updateTime: hold.updatedAt,
});

const toProtoEntry = (entry: LedgerEntry): ProtoLedgerEntry => ({
  id: entry.id,
  riderId: entry.riderId,
  kind: ENTRY_KIND[entry.kind],
  availableDelta: money(entry.availableDeltaMinor, entry.currency),
  heldDelta: money(entry.heldDeltaMinor, entry.currency),
  holdKey: entry.holdKey ?? '',
  description: entry.description,
  createTime: entry.createdAt,
});

const holdKeyField = z.string().min(8, 'must be 8 to 200 characters').max(200, 'must be 8 to 200 characters');
const descriptionField = z.string().max(200, 'must be at most 200 characters');

const schemas = {
  riderId: z.object({ riderId: uuidField }),
  topUp: z.object({
    riderId: uuidField,
    amount: moneyField,
    // The back office's door takes card numbers (the sandbox); the app's (GraphQL) takes a
    // processor's payment method too.
    cardNumber: cardNumberField,
    idempotencyKey: idempotencyKeyField,
  }),
  authorize: z.object({ riderId: uuidField, amount: moneyField, holdKey: holdKeyField, description: descriptionField }),
  capture: z.object({ holdKey: holdKeyField, amount: moneyField }),
  void: z.object({ holdKey: holdKeyField, riderId: z.union([z.literal(''), uuidField]).transform((id) => id || undefined) }),
  refund: z.object({
    holdKey: holdKeyField,
    amount: moneyField,
    idempotencyKey: idempotencyKeyField,
    reason: z.string().trim().min(1, 'must say why').max(200, 'must be at most 200 characters'),
  }),
  batchHolds: z.object({ holdKeys: z.array(holdKeyField).max(500, 'at most 500 keys per call') }),
  listEntries: z.object({ riderId: uuidField, pageSize: pageSizeField, pageToken: z.string() }),
};

export function paymentHandlers(ledger: WalletLedger): AsyncHandlers<PaymentServiceServer> {
  return {
    async getWallet(request) {
      const { riderId } = parseRequest(schemas.riderId, request);
      return { wallet: toProtoWallet(await ledger.getWallet(riderId)) };
    },
    async topUpWallet(request) {
      const { cardNumber, ...topUp } = parseRequest(schemas.topUp, request);
      const result = await ledger.topUp({ ...topUp, card: { number: cardNumber } });
      return { wallet: toProtoWallet(result.wallet), entry: toProtoEntry(result.entry), providerReference: result.providerReference };
    },
    async authorize(request) {
      const { hold, wallet } = await ledger.authorize(parseRequest(schemas.authorize, request));
      return { hold: toProtoHold(hold), wallet: toProtoWallet(wallet) };
    },
    async capture(request) {
      const { holdKey, amount } = parseRequest(schemas.capture, request);
      const { hold, wallet } = await ledger.capture(holdKey, amount);
      return { hold: toProtoHold(hold), wallet: toProtoWallet(wallet) };
    },
    async void(request) {
      const { holdKey, riderId } = parseRequest(schemas.void, request);
      const { hold, wallet } = await ledger.void(holdKey, riderId);
      return { hold: toProtoHold(hold), wallet: toProtoWallet(wallet) };
    },
    async refund(request) {
      const { hold, wallet, entry } = await ledger.refund(parseRequest(schemas.refund, request));
      return { hold: toProtoHold(hold), wallet: toProtoWallet(wallet), entry: toProtoEntry(entry) };
    },
    async batchGetHolds(request) {
      const { holdKeys } = parseRequest(schemas.batchHolds, request);
      return { holds: (await ledger.getHolds(holdKeys)).map(toProtoHold) };
    },
    async listLedgerEntries(request) {
      const { riderId, pageSize, pageToken } = parseRequest(schemas.listEntries, request);
      const { items, nextPageToken } = await fetchPage({
        pageSize,
        pageToken,
        position: z.object({ before: z.number().int() }),
        positionOf: (found: { position: number }) => ({ before: found.position }),
        fetch: (limit, after) => ledger.listEntries(riderId, limit, after?.before),
      });
      return { entries: items.map(({ entry }) => toProtoEntry(entry)), nextPageToken };
    },
  };
}
