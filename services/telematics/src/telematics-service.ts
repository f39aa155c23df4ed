// The telematics service's parts: the core (store, lake, warehouse, pipeline, cleaner), the relays
// to inventory and ride, the device doors in front of the pipeline, and what serves them: the gRPC
// service and the subgraph. main.ts hosts it as a process; the benchmark's monolith builds it in
// its own process without device doors.
import type { Logger } from '../../platform/src/logger';
import type { ServiceRecipe } from '../../platform/src/service-host';
import type { TelematicsConfig } from './config';
import { startDoors } from './doors/doors';
import { telematicsSubgraph } from './graphql/resolvers';
import { CuratedRelays } from './grpc/curated-relays';
import { telematicsHandlers, telematicsServiceDefinition, type TelematicsServing } from './grpc/telematics-handlers';
import { TELEMATICS_MIGRATIONS } from './store/telematics-store';
import { openTelematics } from './telematics-core';

export function telematicsService(
  config: TelematicsConfig,
  logger: Logger,
  /** `doors: false`: the API and the cleaner only, with no listener for devices (the benchmark's monolith). */
  options: { doors: boolean } = { doors: true },
): ServiceRecipe<TelematicsServing> {
  return {
    migrations: TELEMATICS_MIGRATIONS,
    build: async (db, mesh) => {
      const core = await openTelematics(config, db, logger);
      const relays = new CuratedRelays({
        inventoryAddress: config.inventoryAddress,
        rideAddress: config.rideAddress,
        mesh,
        deadlineMs: config.callDeadlineMs,
        throttleMs: config.inventoryRelayMs,
        store: core.store,
        logger,
      });
      core.onCurated((batch) => relays.curated(batch.states, batch.points.some((point) => point.reading.rideId)));
      // The edge and the API store nothing themselves: the processors clean what they store.
      if (config.role === 'all' || config.role === 'processor' || !config.bus) core.start();
      const doors = options.doors
        ? await startDoors(config, core, logger).catch(async (error: unknown) => {
            await core.stop();
            await relays.stop();
            throw error;
          })
        : { addresses: {}, intake: core.pipeline, stop: async () => {} };
      return {
        grpc: {
          definition: telematicsServiceDefinition,
          name: 'ecowheels.telematics.v1.TelematicsService',
          protoFile: 'ecowheels/telematics/v1/telematics_service.proto',
          handlers: telematicsHandlers(doors.intake, core.devices, core.impacts, { ingestDeadlineMs: config.ingestDeadlineMs }),
        },
        graphql: telematicsSubgraph({
          impacts: core.impacts,
          lastSeen: (ids) => core.store.lastSeen(ids),
          track: (id, limit) => core.store.track(id, limit),
          recent: core.recent,
          waiting: () => core.store.waiting(),
        }),
        announce: doors.addresses,
        background: {
          stop: async () => {
            // Doors first, so nothing new arrives; then what is in flight is made durable and cleaned.
            await doors.stop();
            await core.stop();
            await relays.stop();
          },
        },
      };
    },
  };
}
