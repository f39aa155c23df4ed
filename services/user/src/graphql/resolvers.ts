// The user subgraph's resolvers: thin calls into the rider accounts.
import type DataLoader from 'dataloader';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { DomainError } from '../../../platform/src/errors';
import { GRAPHQL_CODE } from '../../../platform/src/graphql/errors';
import { requireRider, type RequestContext, type SubgraphDefinition } from '../../../platform/src/graphql/subgraph-server';
import type { Rider } from '../domain/rider';
import type { RiderAccounts } from '../domain/rider-accounts';

interface UserContext extends RequestContext {
  riders: DataLoader<string, Rider | undefined>;
}

export function userSubgraph(accounts: RiderAccounts): SubgraphDefinition<UserContext> {
  return {
    schemaFile: `${__dirname}/schema.graphql`,
    context: ({ riderId, clientAddress }) => ({
      riderId,
      clientAddress,
      // One query for all the riders a request names, however many entities the gateway asks for.
      riders: batchLoader((ids) => accounts.getMany(ids), (rider) => rider.id),
    }),
    resolvers: {
      Query: {
        me: async (_parent, _args, context) => accounts.get(requireRider(context)),
      },
      Mutation: {
        login: async (_parent, args: { email: string; password: string }, context) => {
          try {
            const { rider, token } = await accounts.login(args.email, args.password, context.clientAddress);
            return { token: token.token, expiresAt: token.expiresAt.toISOString(), user: rider, errors: [] };
          } catch (error) {
            if (!(error instanceof DomainError) || !['UNAUTHENTICATED', 'FAILED_PRECONDITION'].includes(error.kind)) throw error;
            return { token: null, expiresAt: null, user: null, errors: [{ code: GRAPHQL_CODE[error.kind], message: error.message }] };
          }
        },
      },
      User: {
        __resolveReference: (reference: { id: string }, context: UserContext) => context.riders.load(reference.id),
      },
    },
  };
}
