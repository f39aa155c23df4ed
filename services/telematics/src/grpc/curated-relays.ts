// What the clean track tells other services, sent after each cleaning batch: each bike's latest
// position and charge to inventory (throttled per bike, newest wins), and, once per ride, the
// rider the ride belongs to, asked of the ride service, so a rider's impact can be summed. Both
// work only when a batch brings something: a timer is armed only while there is something to send.
import { InventoryServiceClient, InventoryServiceService } from '../../../platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { RideServiceClient, RideServiceService } from '../../../platform/src/generated/ecowheels/ride/v1/ride_service';
import { createClient } from '../../../platform/src/grpc/client';
import type { MeshCredentials } from '../../../platform/src/mesh/credentials';
import type { Logger } from '../../../platform/src/logger';
import type { TrackState } from '../domain/track-cleaning';
import { untraced } from '../../../platform/src/telemetry/tracing';

const MAX_PER_CALL = 500;

export interface RiderLookupStore {
  ridesWithoutRider(limit: number): Promise<string[]>;
  setRiders(found: { rideId: string; riderId?: string }[]): Promise<void>;
}

export class CuratedRelays {
  private readonly inventory;
  private readonly rides;
  private readonly latest = new Map<string, TrackState>();
  private readonly sentAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly options: {
      inventoryAddress: string;
      rideAddress: string;
      mesh: MeshCredentials;
      deadlineMs: number;
      /** At most one update per bike per this long (ms). */
      throttleMs: number;
      store: RiderLookupStore;
      logger: Logger;
    },
  ) {
    const common = { mesh: options.mesh, defaultDeadlineMs: options.deadlineMs };
    this.inventory = createClient(InventoryServiceClient, InventoryServiceService, { ...common, address: options.inventoryAddress, peerName: 'inventory' });
    this.rides = createClient(RideServiceClient, RideServiceService, { ...common, address: options.rideAddress, peerName: 'ride' });
  }

  /** Called after each committed cleaning batch. */
  curated(states: readonly TrackState[], newRides: boolean): void {
    if (this.stopped) return;
    for (const state of states) this.latest.set(state.bikeId, state);
    if (newRides) void this.enqueue(() => this.lookUpRiders());
    this.arm();
  }

  /**
   * Runs one round after the ones before it. A round that fails is logged and let go: `busy` never
   * stays rejected, or every later round (and stop) would fail with it, and the timer that re-arms
   * after each round would spin.
   */
  private enqueue(round: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(round).catch((error: unknown) => this.options.logger.warn({ err: error }, 'a relay round failed; the next batch tries again'));
    return this.busy;
  }

  private arm(): void {
    if (this.timer || this.latest.size === 0 || this.stopped) return;
    const now = Date.now();
    let due = Number.POSITIVE_INFINITY;
    for (const bikeId of this.latest.keys()) due = Math.min(due, (this.sentAt.get(bikeId) ?? 0) + this.options.throttleMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.sendPositions()).finally(() => this.arm());
    }, Math.max(0, due - now));
  }

  private async sendPositions(): Promise<void> {
    const now = Date.now();
    const due = [...this.latest.values()].filter((state) => (this.sentAt.get(state.bikeId) ?? 0) + this.options.throttleMs <= now);
    for (let start = 0; start < due.length; start += MAX_PER_CALL) {
      const chunk = due.slice(start, start + MAX_PER_CALL);
      try {
        await untraced(() =>
          this.inventory.recordBikeTelemetry({
            bikes: chunk.map((state) => ({
              bikeId: state.bikeId,
              location: { latitude: state.latitude, longitude: state.longitude },
              batteryPercent: Math.round(state.batteryPercent),
              recordTime: state.lastRecordedAt,
            })),
          }),
        );
      } catch (error) {
        // Positions are a convenience for bikesNear, and the next reading of each bike brings a
        // newer one: these are let go rather than retried on a timer (no loop while inventory is down).
        this.options.logger.warn({ err: error, bikes: chunk.length }, 'could not update bike positions in inventory; the next readings will');
      }
      for (const state of chunk) {
        this.sentAt.set(state.bikeId, now);
        if (this.latest.get(state.bikeId) === state) this.latest.delete(state.bikeId);
      }
    }
  }

  private async lookUpRiders(): Promise<void> {
    let rideIds: string[] = [];
    try {
      rideIds = await this.options.store.ridesWithoutRider(MAX_PER_CALL);
      if (rideIds.length === 0) return;
      const { rides } = await untraced(() => this.rides.batchGetRides({ rideIds }));
      const riders = new Map(rides.map((ride) => [ride.id, ride.riderId]));
      await this.options.store.setRiders(rideIds.map((rideId) => ({ rideId, riderId: riders.get(rideId) })));
    } catch (error) {
      // Left PENDING: the next batch that brings a new ride asks again.
      this.options.logger.warn({ err: error, rides: rideIds.length }, 'could not find whose rides these are; will ask again');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
    this.inventory.close();
    this.rides.close();
  }
}
