// P1's floor: the same gateway code (edge checks, limits, query planning) with the user, inventory,
// payment and ride subgraphs answered in this one process, on the same resolvers and the same
// PostgreSQL databases as the running services, so no request crosses HTTP to a subgraph. What our
// gateway loses against this is what federation's hops cost. (Telematics is built without its device
// doors: the running service keeps those.) Prints one JSON line with its URL, and runs until SIGTERM.
import '../../../services/platform/src/bootstrap';
import { parse, execute, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GraphQLDataSource } from '@apollo/gateway';
import { openServiceDatabase } from '../../../services/platform/src/database/migrations';
import type { Database } from '../../../services/platform/src/database/database';
import { subgraphSchema, type SubgraphDefinition } from '../../../services/platform/src/graphql/subgraph-server';
import { createLogger } from '../../../services/platform/src/logger';
import type { ServiceRecipe } from '../../../services/platform/src/service-host';
import { readInventoryConfig } from '../../../services/inventory/src/config';
import { inventoryService } from '../../../services/inventory/src/inventory-service';
import { readPaymentConfig } from '../../../services/payment/src/config';
import { paymentService } from '../../../services/payment/src/payment-service';
import { readRideConfig } from '../../../services/ride/src/config';
import { rideService } from '../../../services/ride/src/ride-service';
import { readTelematicsConfig } from '../../../services/telematics/src/config';
import { telematicsService } from '../../../services/telematics/src/telematics-service';
import { readUserConfig } from '../../../services/user/src/config';
import { userService } from '../../../services/user/src/user-service';
import { ApiKeyCheck } from '../../../supergraph/src/api-keys';
import { readGatewayConfig } from '../../../supergraph/src/config';
import { startGateway, type GatewayContext } from '../../../supergraph/src/gateway';
import { GrpcGbfsSources } from '../../../supergraph/src/gbfs-sources';
import { ApiKeyRateLimit } from '../../../supergraph/src/rate-limit';
import { RiderTokenCheck } from '../../../supergraph/src/rider-tokens';
import { MemoryUsageCounter } from '../../../supergraph/src/usage-counter';
import { benchCredentials } from '../lib/bench-stack';

/** A subgraph executed in this process: parsed once per query text, with its own per-request context. */
class InProcessSubgraph implements GraphQLDataSource<GatewayContext> {
  private readonly schema: GraphQLSchema;
  private readonly parsed = new Map<string, DocumentNode>();

  constructor(private readonly definition: SubgraphDefinition<any>) { // any: each service has its own context type
    this.schema = subgraphSchema(definition);
  }

  async process({ request, context }: Parameters<GraphQLDataSource<GatewayContext>['process']>[0]) {
    const query = request.query!;
    let document = this.parsed.get(query);
    if (!document) this.parsed.set(query, (document = parse(query)));
    const result = await execute({
      schema: this.schema,
      document,
      variableValues: request.variables,
      contextValue: this.definition.context({ riderId: context.riderId, scopes: context.client?.scopes ?? [], clientAddress: context.clientAddress }),
    });
    return result as Awaited<ReturnType<GraphQLDataSource['process']>>;
  }
}

async function main(): Promise<void> {
  const logger = createLogger('monolith');
  const built: { db: Database; stop?: () => Promise<void> }[] = [];
  const inProcess: Record<string, GraphQLDataSource<GatewayContext>> = {};
  const build = async (name: string, basics: { database: { url?: string; dataDir: string } }, recipe: ServiceRecipe<unknown>) => {
    const { db } = await openServiceDatabase({ ...basics.database, migrations: recipe.migrations });
    const parts = await recipe.build(db, benchCredentials(name));
    built.push({ db, stop: parts.background?.stop });
    inProcess[name] = new InProcessSubgraph(parts.graphql);
  };
  const user = readUserConfig();
  await build('user', user, userService(user, logger) as ServiceRecipe<unknown>);
  const inventory = readInventoryConfig();
  await build('inventory', inventory, inventoryService(inventory) as ServiceRecipe<unknown>);
  const payment = readPaymentConfig();
  await build('payment', payment, paymentService(payment) as ServiceRecipe<unknown>);
  const ride = readRideConfig();
  await build('ride', ride, rideService(ride, logger) as ServiceRecipe<unknown>);
  const telematics = readTelematicsConfig();
  await build('telematics', telematics, telematicsService(telematics, logger, { doors: false }) as ServiceRecipe<unknown>);

  const config = readGatewayConfig();
  const mesh = benchCredentials('gateway');
  const usage = new MemoryUsageCounter();
  const apiKeys = new ApiKeyCheck(config.userServiceAddress, mesh, config.apiKeys, usage);
  const riderTokens = new RiderTokenCheck(config.userServiceAddress, mesh);
  // The feed's clients connect only when /gbfs is asked for, which the benchmark never does.
  const gbfs = new GrpcGbfsSources(config.gbfsSourceAddresses, mesh);
  const gateway = await startGateway(config, { mesh, apiKeys, riderTokens, rateLimit: new ApiKeyRateLimit(config.rateLimit), usage, gbfs }, logger, inProcess);
  console.log(JSON.stringify({ graphqlUrl: gateway.url }));
  process.on('SIGTERM', () => {
    void (async () => {
      await gateway.stop();
      apiKeys.close();
      riderTokens.close();
      gbfs.close();
      for (const part of built) {
        await part.stop?.();
        await part.db.close();
      }
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
