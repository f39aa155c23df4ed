// The user subgraph's resolvers: thin calls into the rider accounts.
import type DataLoader from 'dataloader';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { DomainError } from '../../../platform/src/errors';
import { GRAPHQL_CODE, withUserErrors } from '../../../platform/src/graphql/errors';
import { requireRider, type RequestContext, type SubgraphDefinition } from '../../../platform/src/graphql/subgraph-server';
import { parseRequest } from '../../../platform/src/grpc/validation';
import { z } from 'zod';
import type { IdentityChecks } from '../domain/identity-checks';
import { riderFields, type Rider } from '../domain/rider';
import type { RiderAccounts } from '../domain/rider-accounts';
import type { SignUps } from '../domain/sign-ups';

interface UserContext extends RequestContext {
  riders: DataLoader<string, Rider | undefined>;
}

const signUpArgs = z.object(riderFields);
const codeArgs = z.object({ code: z.string().trim().min(1, 'is required').max(100, 'is too long to be a code') });
const documentArgs = z.object({ document: z.string().trim().min(1, 'is required').max(200, 'is too long to be a document reference') });

export function userSubgraph(accounts: RiderAccounts, signUps: SignUps, identity: IdentityChecks): SubgraphDefinition<UserContext> {
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
        // The rider's refusals (a weak password, a wrong code, a document the provider cannot read)
        // are the payload's errors, as in the other subgraphs; a throttle or a fault stays an error.
        signUp: (_parent, args: z.input<typeof signUpArgs>, context) =>
          withUserErrors(async () => {
            const { rider, token } = await signUps.signUp(parseRequest(signUpArgs, args, 'graphql'), context.clientAddress);
            return { token: token.token, expiresAt: token.expiresAt.toISOString(), user: rider };
          }),
        confirmEmail: (_parent, args: z.input<typeof codeArgs>, context) => {
          const riderId = requireRider(context);
          return withUserErrors(async () => ({ user: await signUps.confirmEmail(riderId, parseRequest(codeArgs, args, 'graphql').code) }));
        },
        checkIdentity: (_parent, args: z.input<typeof documentArgs>, context) => {
          const riderId = requireRider(context);
          return withUserErrors(async () => {
            const { outcome, rider } = await identity.check(riderId, parseRequest(documentArgs, args, 'graphql').document);
            return { status: outcome.status, reason: outcome.reason ?? null, user: rider };
          });
        },
      },
      User: {
        __resolveReference: (reference: { id: string }, context: UserContext) => context.riders.load(reference.id),
      },
    },
  };
}
