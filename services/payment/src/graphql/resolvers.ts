// The payment subgraph's resolvers: thin calls into the wallet ledger, with charges batched.
import type DataLoader from 'dataloader';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { z } from 'zod';
import { graphqlError, withUserErrors } from '../../../platform/src/graphql/errors';
import { requireRider, type RequestContext, type SubgraphDefinition } from '../../../platform/src/graphql/subgraph-server';
import { idempotencyKeyField, parseRequest } from '../../../platform/src/grpc/validation';
import { currencyField, graphqlMoney } from '../../../platform/src/money';
import { cardFields, paymentCard } from '../domain/card-provider';
import type { Hold, HoldStatus, Wallet } from '../domain/wallet';
import type { WalletLedger } from '../domain/wallet-ledger';

interface PaymentContext extends RequestContext {
  holds: DataLoader<string, Hold | undefined>;
}

const money = graphqlMoney;

const toWallet = (wallet: Wallet) => ({
  available: money(wallet.availableMinor, wallet.currency),
  held: money(wallet.heldMinor, wallet.currency),
  updatedAt: wallet.updatedAt.getTime() === 0 ? null : wallet.updatedAt.toISOString(),
});

const CHARGE_STATUS: Record<HoldStatus, string> = { AUTHORIZED: 'HELD', CAPTURED: 'CAPTURED', VOIDED: 'VOIDED' };

const topUpArgs = z.object({
  amountMinor: z.number().int(),
  currency: currencyField,
  ...cardFields,
  idempotencyKey: idempotencyKeyField,
});

export function paymentSubgraph(ledger: WalletLedger): SubgraphDefinition<PaymentContext> {
  return {
    schemaFile: `${__dirname}/schema.graphql`,
    context: ({ riderId }) => ({
      riderId,
      // One query for the charges of a whole page of rides.
      holds: batchLoader((keys) => ledger.getHolds(keys), (hold) => hold.holdKey),
    }),
    resolvers: {
      Query: {
        wallet: async (_parent, _args, context) => toWallet(await ledger.getWallet(requireRider(context))),
      },
      Mutation: {
        topUpWallet: async (_parent, args: z.input<typeof topUpArgs>, context) => {
          const riderId = requireRider(context);
          return withUserErrors(async () => {
            const { amountMinor, currency, idempotencyKey, ...card } = parseRequest(topUpArgs, args, 'graphql');
            const result = await ledger.topUp({ riderId, amount: { amountMinor, currency }, card: paymentCard(card), idempotencyKey });
            return { wallet: toWallet(result.wallet) };
          });
        },
      },
      User: {
        wallet: async (user: { id: string }, _args: unknown, context: PaymentContext) => {
          if (user.id !== requireRider(context)) throw graphqlError('PERMISSION_DENIED', 'riders may read only their own wallet');
          return toWallet(await ledger.getWallet(user.id));
        },
      },
      Ride: {
        charge: async (ride: { holdKey: string }, _args: unknown, context: PaymentContext) => {
          const riderId = requireRider(context);
          const hold = await context.holds.load(ride.holdKey);
          if (!hold || hold.authorizedMinor === 0) return null;
          if (hold.riderId !== riderId) throw graphqlError('PERMISSION_DENIED', 'riders may read only their own charges');
          return {
            status: CHARGE_STATUS[hold.status],
            held: money(hold.authorizedMinor, hold.currency),
            captured: money(hold.capturedMinor, hold.currency),
            refunded: money(hold.refundedMinor, hold.currency),
          };
        },
      },
    },
  };
}
