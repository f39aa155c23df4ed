// Composition root of the user service: config, store, domain, gRPC server. Nothing else.
import '../../platform/src/bootstrap';
import { UserServiceService } from '../../platform/src/generated/ecowheels/user/v1/user_service';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/service-process';
import { readUserConfig } from './config';
import { AccessTokenIssuer, generateSigningKeyPem } from './domain/access-tokens';
import { ApiClientRegistry } from './domain/api-clients';
import { RiderAccounts } from './domain/rider-accounts';
import { userSubgraph } from './graphql/resolvers';
import { userHandlers } from './grpc/user-handlers';
import { USER_MIGRATIONS, UserStore } from './store/user-store';

runService('user', async () => {
  const config = readUserConfig();
  const logger = createLogger('user');
  const service = await hostService({
    basics: config,
    migrations: USER_MIGRATIONS,
    logger,
    build: async (db) => {
      const store = new UserStore(db);
      const pem = config.token.privateKeyPem ?? (await store.loadOrCreateSigningKey(generateSigningKeyPem));
      const tokens = await AccessTokenIssuer.fromPem(pem, config.token);
      const accounts = new RiderAccounts(store, tokens);
      return {
        grpc: {
          definition: UserServiceService,
          name: 'ecowheels.user.v1.UserService',
          protoFile: 'ecowheels/user/v1/user_service.proto',
          handlers: userHandlers(accounts, new ApiClientRegistry(store), tokens),
        },
        graphql: userSubgraph(accounts),
      };
    },
  });
  return { service, logger };
});
