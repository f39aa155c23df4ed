// The ride flow's view of the user, inventory and payment services, over their gRPC clients.
// Failed calls arrive here as DomainErrors already (platform/grpc/client.ts).
import { InventoryServiceClient, InventoryServiceService } from '../../../platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { PaymentServiceClient, PaymentServiceService } from '../../../platform/src/generated/ecowheels/payment/v1/payment_service';
import { UserServiceClient, UserServiceService } from '../../../platform/src/generated/ecowheels/user/v1/user_service';
import { createClient } from '../../../platform/src/grpc/client';
import type { MeshCredentials } from '../../../platform/src/mesh/credentials';
import type { RideDependencies } from '../domain/ride-dependencies';

export interface DependencyAddresses {
  user: string;
  inventory: string;
  payment: string;
}

export function connectRideDependencies(
  addresses: DependencyAddresses,
  deadlineMs: number,
  mesh: MeshCredentials,
): RideDependencies & { close(): void } {
  const user = createClient(UserServiceClient, UserServiceService, { address: addresses.user, defaultDeadlineMs: deadlineMs, peerName: 'user', mesh });
  const inventory = createClient(InventoryServiceClient, InventoryServiceService, {
    address: addresses.inventory,
    defaultDeadlineMs: deadlineMs,
    peerName: 'inventory',
    mesh,
  });
  const payment = createClient(PaymentServiceClient, PaymentServiceService, {
    address: addresses.payment,
    defaultDeadlineMs: deadlineMs,
    peerName: 'payment',
    mesh,
  });
  return {
    async identifyBike(code) {
      const { bike } = await inventory.identifyBike({ code });
      return bike!.id;
    },
    async verifyRider(riderId) {
      await user.verifyRider({ riderId });
    },
    async reserveBike(bikeId, rideId, riderId) {
      const { bike } = await inventory.reserveBike({ bikeId, rideId, riderId });
      return { location: bike?.location };
    },
    async authorizePayment(riderId, amount, holdKey, description) {
      await payment.authorize({ riderId, amount, holdKey, description });
    },
    async unlockBike(bikeId, rideId) {
      await inventory.unlockBike({ bikeId, rideId });
    },
    async capturePayment(holdKey, amount) {
      await payment.capture({ holdKey, amount });
    },
    async voidPayment(holdKey, riderId) {
      await payment.void({ holdKey, riderId });
    },
    async releaseBike(bikeId, rideId, end) {
      const { bike } = await inventory.releaseBike({ bikeId, rideId, location: end.location, batteryPercent: end.batteryPercent });
      return bike?.location;
    },
    close() {
      user.close();
      inventory.close();
      payment.close();
    },
  };
}
