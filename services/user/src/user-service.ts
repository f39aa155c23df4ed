// The user service's parts: store, token issuer, rider accounts, sign-ups, identity checks, API
// clients, and what serves them.
import { UserServiceService, type UserServiceServer } from '../../platform/src/generated/ecowheels/user/v1/user_service';
import type { Logger } from '../../platform/src/logger';
import type { ServiceRecipe } from '../../platform/src/service-host';
import type { readUserConfig } from './config';
import { AccessTokenIssuer, generateSigningKeyPem } from './domain/access-tokens';
import { ApiClientRegistry } from './domain/api-clients';
import { LoginThrottle } from './domain/login-throttle';
import { IdentityChecks } from './domain/identity-checks';
import { RiderAccounts } from './domain/rider-accounts';
import { SignUps } from './domain/sign-ups';
import { IDENTITY_PROVIDERS, MAILERS } from './providers/providers';
import { userSubgraph } from './graphql/resolvers';
import { userHandlers } from './grpc/user-handlers';
import { attemptCounts } from './store/attempt-counts';
import { USER_MIGRATIONS, UserStore } from './store/user-store';
import { PasswordStrengthThread } from './workers/password-strength';

export function userService(config: ReturnType<typeof readUserConfig>, logger: Logger): ServiceRecipe<UserServiceServer> {
  return {
    migrations: USER_MIGRATIONS,
    build: async (db) => {
      const store = new UserStore(db);
      const counters = attemptCounts(db);
      const pem = config.token.privateKeyPem ?? (await store.loadOrCreateSigningKey(generateSigningKeyPem));
      const tokens = await AccessTokenIssuer.fromPem(pem, config.token);
      const accounts = new RiderAccounts(store, tokens, new LoginThrottle(counters, config.loginThrottle));
      const passwords = new PasswordStrengthThread();
      const signUps = new SignUps(store, tokens, MAILERS[config.mailProvider](config.mail, logger), passwords, counters, config.signUp);
      const identity = new IdentityChecks(store, IDENTITY_PROVIDERS[config.identityProvider](), accounts, counters, config.identityChecksPerRiderPerHour);
      return {
        grpc: {
          definition: UserServiceService,
          name: 'ecowheels.user.v1.UserService',
          protoFile: 'ecowheels/user/v1/user_service.proto',
          handlers: userHandlers(accounts, new ApiClientRegistry(store), tokens),
        },
        graphql: userSubgraph(accounts, signUps, identity),
        background: { stop: () => passwords.close() },
      };
    },
  };
}
