// The user subgraph's resolvers: thin calls into the rider accounts.
import type DataLoader from 'dataloader';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { DomainError } from '../../../platform/src/errors';
import { GRAPHQL_CODE } from '../../../platform/src/graphql/errors';
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

/** A refusal the rider can act on, as the payload's `errors`; anything else stays a GraphQL error. */
function asUserErrors(error: unknown, kinds: string[]): { code: string; message: string }[] {
  if (!(error instanceof DomainError) || !kinds.includes(error.kind)) throw error;
  return [{ code: GRAPHQL_CODE[error.kind], message: error.message }];
}

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
            return { token: null, expiresAt: null, user: null, errors: asUserErrors(error, ['UNAUTHENTICATED', 'FAILED_PRECONDITION']) };
          }
        },
        signUp: async (_parent, args: z.input<typeof signUpArgs>, context) => {
          try {
            const input = parseRequest(signUpArgs, args, 'graphql');
            const { rider, token } = await signUps.signUp(input, context.clientAddress);
            return { token: token.token, expiresAt: token.expiresAt.toISOString(), user: rider, errors: [] };
          } catch (error) {
            return { token: null, expiresAt: null, user: null, errors: asUserErrors(error, ['INVALID_ARGUMENT']) };
          }
        },
        confirmEmail: async (_parent, args: z.input<typeof codeArgs>, context) => {
          const riderId = requireRider(context);
          try {
            const { code } = parseRequest(codeArgs, args, 'graphql');
            return { user: await signUps.confirmEmail(riderId, code), errors: [] };
          } catch (error) {
            return { user: null, errors: asUserErrors(error, ['INVALID_ARGUMENT', 'FAILED_PRECONDITION']) };
          }
        },
        checkIdentity: async (_parent, args: z.input<typeof documentArgs>, context) => {
          const riderId = requireRider(context);
          try {
            const { document } = parseRequest(documentArgs, args, 'graphql');
            const { outcome, rider } = await identity.check(riderId, document);
            return { status: outcome.status, reason: outcome.reason ?? null, user: rider, errors: [] };
          } catch (error) {
            return { status: null, reason: null, user: null, errors: asUserErrors(error, ['INVALID_ARGUMENT', 'FAILED_PRECONDITION']) };
          }
        },
      },
      User: {
        __resolveReference: (reference: { id: string }, context: UserContext) => context.riders.load(reference.id),
      },
    },
  };
}
