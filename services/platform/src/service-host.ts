// What every service's main does in the same order: open and migrate its database, build its
// domain on top, serve it over gRPC, announce where it listens, and undo all of it on stop.
import { openServiceDatabase } from './database/migrations';
import type { Database } from './database/database';
import type { ServiceBasics } from './config';
import { meshCredentials, type MeshCredentials } from './mesh/credentials';
import { startGrpcServer, type GrpcService } from './grpc/server';
import type { Logger } from './logger';
import { announceReady, type StartedService } from './run-service';
import { startSubgraphServer, type SubgraphDefinition } from './graphql/subgraph-server';

export interface ServiceParts<S> {
  grpc: GrpcService<S>;
  /** The service's GraphQL subgraph, served over HTTP beside the gRPC server. */
  graphql: SubgraphDefinition<any>; // any: each service has its own context type
  /**
   * Work that runs beside the server (a recovery loop) and what it holds (clients of other
   * services); stopped once the servers have drained, before the database closes.
   */
  background?: { stop(): Promise<void> };
  /** More addresses for the "ready" line (telematics' device doors). */
  announce?: Record<string, string>;
}

/**
 * What a service is made of, apart from where it runs: its migrations and how to build its parts on
 * an open database. main.ts hosts it as a process; the benchmark's monolith builds several in one.
 */
export interface ServiceRecipe<S> {
  migrations: string;
  build: (db: Database, mesh: MeshCredentials) => Promise<ServiceParts<S>>;
}

export async function hostService<S>(options: ServiceRecipe<S> & { basics: ServiceBasics; logger: Logger }): Promise<StartedService> {
  const { basics, logger } = options;
  const mesh = meshCredentials(basics.mesh);
  const { db, applied } = await openServiceDatabase({ ...basics.database, migrations: options.migrations });
  logger.info({ engine: db.engine, migrationsApplied: applied }, 'database open');
  try {
    const parts = await options.build(db, mesh);
    const server = await startGrpcServer(parts.grpc, { host: basics.host, port: basics.grpcPort, logger, mesh });
    const subgraph = await startSubgraphServer(parts.graphql, { host: basics.host, port: basics.httpPort, logger, mesh }).catch(
      async (error: unknown) => {
        await server.shutdown(0);
        throw error;
      },
    );
    // The launcher and the tests wait for this line and read the addresses from it.
    announceReady(logger, { grpcAddress: server.address, graphqlUrl: subgraph.url, engine: db.engine, meshMode: mesh.mode, ...parts.announce });
    return {
      // Calls in flight still need the clients and the database: they finish first.
      stop: async () => {
        await Promise.all([server.shutdown(), subgraph.stop()]);
        await parts.background?.stop();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
