// Without Istio, the mesh policy's timeouts and retries are applied by gRPC itself, through the
// service config `npm run mesh` generates, on every client the factory builds: a real server on
// loopback answers UNAVAILABLE or stalls, and the production client behaves as the policy says.
import { randomUUID } from 'node:crypto';
import { DomainError, unavailable } from '../../services/platform/src/errors';
import {
  InventoryServiceClient,
  InventoryServiceService,
  type InventoryServiceServer,
} from '../../services/platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { createClient } from '../../services/platform/src/grpc/client';
import { ensureMeshCertificates } from '../../services/platform/src/mesh/certificates';
import { meshCredentials, type MeshMode } from '../../services/platform/src/mesh/credentials';
import { TEST_ENV } from '../support/stack';
import { startGrpcServer, type AsyncHandlers, type RunningGrpcServer } from '../../services/platform/src/grpc/server';
import { createLogger } from '../../services/platform/src/logger';
import { MESH_POLICY, RETRY } from '../../mesh-config/policy';

const bike = { id: randomUUID(), model: 'Test', status: 1, batteryPercent: 90, stationId: '' };

describe('the mesh policy applied by gRPC (local mesh mode)', () => {
  let server: RunningGrpcServer;
  const attempts: Record<string, number> = {};
  /** How many times each method has failed before it will succeed, per test. */
  const failuresLeft: Record<string, number> = {};

  const count = (method: string) => {
    attempts[method] = (attempts[method] ?? 0) + 1;
    if ((failuresLeft[method] ?? 0) > 0) {
      failuresLeft[method] -= 1;
      throw unavailable('the fleet database is failing over');
    }
  };

  const mesh = (identity: string, mode: MeshMode = 'local') => meshCredentials({ mode, certsDir: TEST_ENV.MESH_CERTS_DIR, identity });

  beforeAll(async () => {
    await ensureMeshCertificates(TEST_ENV.MESH_CERTS_DIR);
    const handlers = {
      reserveBike: async () => {
        count('ReserveBike');
        return { bike, reservation: undefined };
      },
      registerBike: async () => {
        count('RegisterBike');
        return { bike };
      },
      getBike: async () => {
        count('GetBike');
        await new Promise((resolve) => setTimeout(resolve, MESH_POLICY.inventory.methods.GetBike.timeoutMs + 500));
        return { bike };
      },
    } as unknown as AsyncHandlers<InventoryServiceServer>;
    server = await startGrpcServer(
      { definition: InventoryServiceService, name: 'ecowheels.inventory.v1.InventoryService', protoFile: 'ecowheels/inventory/v1/inventory_service.proto', handlers },
      { host: '127.0.0.1', port: 0, logger: createLogger('test', 'silent'), mesh: mesh('inventory') },
    );
  });
  afterAll(() => server?.shutdown(0));
  beforeEach(() => {
    for (const key of Object.keys(attempts)) delete attempts[key];
  });

  const client = (meshMode: MeshMode) =>
    createClient(InventoryServiceClient, InventoryServiceService, {
      address: server.address,
      defaultDeadlineMs: 10_000,
      peerName: 'inventory',
      // Istio mode here keeps mTLS (the server demands it) but drops the retries, as under a sidecar.
      mesh: { ...mesh('operator'), mode: meshMode },
    });

  it('retries a transient UNAVAILABLE on a method the policy marks safe to repeat, up to its attempts', async () => {
    const inventory = client('local');
    failuresLeft.ReserveBike = RETRY.maxAttempts - 1;
    await expect(inventory.reserveBike({ bikeId: bike.id, rideId: randomUUID() , riderId: '' })).resolves.toMatchObject({ bike: { id: bike.id } });
    expect(attempts.ReserveBike).toBe(RETRY.maxAttempts);
    failuresLeft.ReserveBike = RETRY.maxAttempts;
    attempts.ReserveBike = 0;
    await expect(inventory.reserveBike({ bikeId: bike.id, rideId: randomUUID() , riderId: '' })).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    expect(attempts.ReserveBike).toBe(RETRY.maxAttempts);
    failuresLeft.ReserveBike = 0;
    inventory.close();
  });

  it('never retries a creation the policy marks unsafe to repeat', async () => {
    const inventory = client('local');
    failuresLeft.RegisterBike = 1;
    await expect(inventory.registerBike({ model: 'X', location: undefined, batteryPercent: 50, stationId: '' })).rejects.toBeInstanceOf(DomainError);
    expect(attempts.RegisterBike).toBe(1);
    inventory.close();
  });

  it('leaves retries to the sidecar in Istio mode, so attempts are not multiplied', async () => {
    const inventory = client('istio');
    failuresLeft.ReserveBike = 1;
    await expect(inventory.reserveBike({ bikeId: bike.id, rideId: randomUUID() , riderId: '' })).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    expect(attempts.ReserveBike).toBe(1);
    failuresLeft.ReserveBike = 0;
    inventory.close();
  });

  it('times a slow call out after the policy\'s timeout, not the caller\'s longer default deadline', async () => {
    const inventory = client('local');
    const started = Date.now();
    const error = await inventory.getBike({ bikeId: bike.id }).catch((failure: DomainError) => failure);
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ kind: 'UNAVAILABLE', message: 'the inventory service did not answer in time; retry shortly' });
    expect(elapsed).toBeGreaterThanOrEqual(MESH_POLICY.inventory.methods.GetBike.timeoutMs - 50);
    expect(elapsed).toBeLessThan(MESH_POLICY.inventory.methods.GetBike.timeoutMs + 400);
    inventory.close();
  });
});
