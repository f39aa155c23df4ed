// Composition root of the gateway: config, the edge checks, the GraphQL server. Nothing else.
import '../../services/platform/src/bootstrap';
import { createLogger } from '../../services/platform/src/logger';
import { meshCredentials } from '../../services/platform/src/mesh/credentials';
import { announceReady, runService } from '../../services/platform/src/run-service';
import { ApiKeyCheck } from './api-keys';
import { readGatewayConfig } from './config';
import { startGateway } from './gateway';
import { GrpcGbfsSources } from './gbfs-sources';
import { ApiKeyRateLimit } from './rate-limit';
import { RiderTokenCheck } from './rider-tokens';
import { MemoryUsageCounter, RedisUsageCounter } from './usage-counter';

runService('gateway', async () => {
  const config = readGatewayConfig();
  const logger = createLogger('gateway');
  // ioredis is loaded only where a shared Redis is configured (about 50 ms of CPU at start otherwise).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required, so its instrumentation sees it load
  const redis = config.redisUrl ? new (require('ioredis') as typeof import('ioredis')).default(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: true }) : undefined;
  if (redis) await redis.connect();
  const usage = redis ? new RedisUsageCounter(redis, logger) : new MemoryUsageCounter();
  const mesh = meshCredentials(config.mesh);
  const apiKeys = new ApiKeyCheck(config.userServiceAddress, mesh, config.apiKeys, usage);
  const riderTokens = new RiderTokenCheck(config.userServiceAddress, mesh);
  const rateLimit = new ApiKeyRateLimit({ ...config.rateLimit, redis });
  const gbfs = new GrpcGbfsSources(config.gbfsSourceAddresses, mesh);
  const gateway = await startGateway(config, { mesh, apiKeys, riderTokens, rateLimit, usage, gbfs }, logger);
  announceReady(logger, { graphqlUrl: gateway.url, metricsUrl: gateway.metricsUrl, rateLimitStore: redis ? 'redis' : 'memory', production: config.production });
  return {
    logger,
    service: {
      stop: async () => {
        await gateway.stop();
        apiKeys.close();
        riderTokens.close();
        gbfs.close();
        redis?.disconnect();
      },
    },
  };
});
