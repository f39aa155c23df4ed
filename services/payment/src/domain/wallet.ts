// Wallets, holds and ledger entries as the ledger rules see them. Amounts are minor units.

export type LedgerEntryKind = 'TOP_UP' | 'HOLD' | 'CAPTURE' | 'RELEASE' | 'REFUND';
export type HoldStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED';

export interface Wallet {
  riderId: string;
  currency: string;
  availableMinor: number;
  heldMinor: number;
  updatedAt: Date;
}

export interface Hold {
  holdKey: string;
  riderId: string;
  status: HoldStatus;
  currency: string;
  authorizedMinor: number;
  capturedMinor: number;
  refundedMinor: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface LedgerEntry {
  id: string;
  riderId: string;
  kind: LedgerEntryKind;
  currency: string;
  availableDeltaMinor: number;
  heldDeltaMinor: number;
  holdKey?: string;
  description: string;
  createdAt: Date;
}

export const emptyWallet = (riderId: string, currency: string): Wallet => ({
  riderId,
  currency,
  availableMinor: 0,
  heldMinor: 0,
  updatedAt: new Date(0),
});
