// The GBFS feed's sources, over gRPC as the mesh policy allows the gateway: inventory's stations and
// rentable bikes (ListStations, ListFeedVehicles, a page at a time) and the ride service's tariff
// (GetPricing).
import { InventoryServiceClient, InventoryServiceService, type FeedVehicle } from '../../services/platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { RideServiceClient, RideServiceService } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { createClient } from '../../services/platform/src/grpc/client';
import type { MeshCredentials } from '../../services/platform/src/mesh/credentials';
import type { GbfsSources, GbfsStation, GbfsTariff, GbfsVehicle } from './gbfs';

/** Vehicles per ListFeedVehicles call (its maximum). */
const PAGE_SIZE = 1000;
/** A bound on one snapshot's size: a feed of a fleet larger than this would need splitting anyway. */
const MAX_VEHICLES = 100_000;

export class GrpcGbfsSources implements GbfsSources {
  private readonly inventory;
  private readonly ride;

  constructor(addresses: { inventory: string; ride: string }, mesh: MeshCredentials) {
    this.inventory = createClient(InventoryServiceClient, InventoryServiceService, { address: addresses.inventory, defaultDeadlineMs: 2000, peerName: 'inventory', mesh });
    this.ride = createClient(RideServiceClient, RideServiceService, { address: addresses.ride, defaultDeadlineMs: 2000, peerName: 'ride', mesh });
  }

  async stations(): Promise<GbfsStation[]> {
    const { stations } = await this.inventory.listStations({});
    return stations.map((station) => ({
      id: station.id,
      name: station.name,
      latitude: station.location?.latitude ?? 0,
      longitude: station.location?.longitude ?? 0,
      capacity: station.capacity,
    }));
  }

  /** Every rentable bike, a page of PAGE_SIZE at a time, up to MAX_VEHICLES. */
  async vehicles(): Promise<GbfsVehicle[]> {
    const vehicles: FeedVehicle[] = [];
    let pageToken = '';
    do {
      const page = await this.inventory.listFeedVehicles({ pageSize: PAGE_SIZE, pageToken });
      vehicles.push(...page.vehicles);
      pageToken = page.nextPageToken;
    } while (pageToken !== '' && vehicles.length < MAX_VEHICLES);
    return vehicles.map((vehicle) => ({
      listingId: vehicle.feedId,
      model: vehicle.model,
      batteryPercent: vehicle.batteryPercent,
      latitude: vehicle.location?.latitude ?? 0,
      longitude: vehicle.location?.longitude ?? 0,
      stationId: vehicle.stationId || undefined,
      updatedAt: vehicle.updateTime ?? new Date(0),
    }));
  }

  async tariff(): Promise<GbfsTariff> {
    const { pricing } = await this.ride.getPricing({});
    return { currency: pricing?.unlockFee?.currency ?? 'EUR', unlockFeeMinor: pricing?.unlockFee?.amountMinor ?? 0, perMinuteMinor: pricing?.perMinute?.amountMinor ?? 0 };
  }

  close(): void {
    this.inventory.close();
    this.ride.close();
  }
}
