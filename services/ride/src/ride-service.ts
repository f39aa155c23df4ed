// The ride service's parts: store, clients of the other services, the ride flow and its recovery
// loop, and what serves them.
import { RideServiceService, type RideServiceServer } from '../../platform/src/generated/ecowheels/ride/v1/ride_service';
import type { Logger } from '../../platform/src/logger';
import type { ServiceRecipe } from '../../platform/src/service-host';
import type { readRideConfig } from './config';
import { RideFlow } from './domain/ride-flow';
import { RideRecovery } from './domain/ride-recovery';
import { connectRideDependencies } from './grpc/ride-dependencies-grpc';
import { rideSubgraph } from './graphql/resolvers';
import { rideHandlers } from './grpc/ride-handlers';
import { RIDE_MIGRATIONS, RideStoreSql } from './store/ride-store';
import { lazyCounter } from '../../platform/src/telemetry/tracing';

/** ride_flow_outcomes_total{flow, outcome}: the ride-start SLI (docs/slos.md) and the compensation alert. */
const recordRideFlow = lazyCounter('ride.flow.outcomes', 'Ride flows by how they ended: flow start or end; outcome done, refused (the rider or fleet said no) or failed (ours)');

export function rideService(config: ReturnType<typeof readRideConfig>, logger: Logger): ServiceRecipe<RideServiceServer> {
  return {
    migrations: RIDE_MIGRATIONS,
    build: async (db, mesh) => {
      const store = new RideStoreSql(db);
      const dependencies = connectRideDependencies(config.dependencies, config.callDeadlineMs, mesh);
      const flow = new RideFlow(store, dependencies, {
        pricing: config.pricing,
        leaseMs: config.recovery.leaseMs,
        busyWaitMs: 2 * config.callDeadlineMs,
        outcomes: (flow, outcome) => recordRideFlow(1, { flow, outcome }),
      }, logger);
      const recovery = new RideRecovery(store, flow, config.recovery, logger);
      recovery.start();
      return {
        grpc: {
          definition: RideServiceService,
          name: 'ecowheels.ride.v1.RideService',
          protoFile: 'ecowheels/ride/v1/ride_service.proto',
          handlers: rideHandlers(flow, store, config.pricing),
        },
        graphql: rideSubgraph(flow, store, config.pricing),
        background: {
          stop: async () => {
            await recovery.stop();
            dependencies.close();
          },
        },
      };
    },
  };
}
