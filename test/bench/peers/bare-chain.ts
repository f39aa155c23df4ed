// The references of P2 and P3: grpc-js servers that do no work behind the same mutual TLS.
//   `deps`  bare user, inventory and payment services in one process: each answers the calls the
//           ride flow makes with a fixed message, and inventory's GetBike is P3's bare echo.
//   `ride`  a bare ride service whose StartRide and EndRide make the flow's calls to `deps` in the
//           flow's order (verify, reserve, authorize, unlock; capture, release) and store nothing.
// So a flow through them costs what the transport alone costs. Each prints one JSON line with its
// addresses and runs until SIGTERM.
import { randomUUID } from 'node:crypto';
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  BikeStatus,
  GetBikeResponse,
  InventoryServiceService,
  ReleaseBikeResponse,
  ReserveBikeResponse,
  UnlockBikeResponse,
} from '../../../services/platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { AuthorizeResponse, CaptureResponse, PaymentServiceService } from '../../../services/platform/src/generated/ecowheels/payment/v1/payment_service';
import { EndRideResponse, RideServiceService, RideStatus, StartRideResponse, type StartRideRequest, type EndRideRequest } from '../../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { UserServiceService, VerifyRiderResponse } from '../../../services/platform/src/generated/ecowheels/user/v1/user_service';
import { inventoryClient, paymentClient, userClient } from '../../support/grpc-clients';
import { benchCredentials } from '../lib/bench-stack';

const BIKE = { id: randomUUID(), model: 'Bare', status: BikeStatus.BIKE_STATUS_AVAILABLE, batteryPercent: 90, location: { latitude: 52.37, longitude: 4.9 } };

/** Answers each named unary method with a fixed response. */
const fixed = (answers: Record<string, () => unknown>): UntypedServiceImplementation =>
  Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, (_call: unknown, callback: (error: null, response: unknown) => void) => callback(null, answer())]));

async function serve(definition: ServiceDefinition, implementation: UntypedServiceImplementation, identity: string): Promise<string> {
  const server = new Server();
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', benchCredentials(identity).server, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return `127.0.0.1:${port}`;
}

async function deps(): Promise<Record<string, string>> {
  return {
    user: await serve(UserServiceService, fixed({ verifyRider: () => VerifyRiderResponse.fromPartial({}) }), 'user'),
    inventory: await serve(
      InventoryServiceService,
      fixed({
        getBike: () => GetBikeResponse.fromPartial({ bike: BIKE }),
        reserveBike: () => ReserveBikeResponse.fromPartial({ bike: { ...BIKE, status: BikeStatus.BIKE_STATUS_RESERVED } }),
        unlockBike: () => UnlockBikeResponse.fromPartial({ bike: { ...BIKE, status: BikeStatus.BIKE_STATUS_IN_RIDE } }),
        releaseBike: () => ReleaseBikeResponse.fromPartial({ bike: BIKE }),
      }),
      'inventory',
    ),
    payment: await serve(
      PaymentServiceService,
      fixed({ authorize: () => AuthorizeResponse.fromPartial({}), capture: () => CaptureResponse.fromPartial({}) }),
      'payment',
    ),
  };
}

async function ride(addresses: Record<string, string>): Promise<Record<string, string>> {
  const mesh = benchCredentials('ride');
  const user = userClient(addresses.user, mesh);
  const inventory = inventoryClient(addresses.inventory, mesh);
  const payment = paymentClient(addresses.payment, mesh);
  const handle = <Request>(work: (request: Request) => Promise<unknown>) =>
    (call: { request: Request }, callback: (error: Error | null, response?: unknown) => void) => {
      work(call.request).then((response) => callback(null, response), (error: Error) => callback(error));
    };
  const implementation: UntypedServiceImplementation = {
    startRide: handle(async (request: StartRideRequest) => {
      const rideId = randomUUID();
      await user.verifyRider({ riderId: request.riderId });
      await inventory.reserveBike({ bikeId: request.bikeId, rideId, riderId: request.riderId });
      await payment.authorize({ riderId: request.riderId, amount: { amountMinor: 850, currency: 'EUR' }, holdKey: `ride-${rideId}`, description: 'bare' });
      await inventory.unlockBike({ bikeId: request.bikeId, rideId });
      return StartRideResponse.fromPartial({ ride: { id: rideId, riderId: request.riderId, bikeId: request.bikeId, status: RideStatus.RIDE_STATUS_ACTIVE } });
    }),
    endRide: handle(async (request: EndRideRequest) => {
      await payment.capture({ holdKey: `ride-${request.rideId}`, amount: { amountMinor: 125, currency: 'EUR' } });
      await inventory.releaseBike({ bikeId: BIKE.id, rideId: request.rideId });
      return EndRideResponse.fromPartial({ ride: { id: request.rideId, riderId: request.riderId, status: RideStatus.RIDE_STATUS_COMPLETED } });
    }),
  };
  return { ride: await serve(RideServiceService, implementation, 'ride') };
}

async function main(): Promise<void> {
  const role = process.argv[2];
  const addresses = role === 'deps' ? await deps() : await ride(JSON.parse(process.argv[3]) as Record<string, string>);
  console.log(JSON.stringify(addresses));
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
