// RideService over gRPC: validates each request, calls the ride flow or the store, maps to proto.
import { z } from 'zod';
import {
  RideStatus as ProtoRideStatus,
  type Ride as ProtoRide,
  type RideServiceServer,
} from '../../../platform/src/generated/ecowheels/ride/v1/ride_service';
import type { Pricing as ProtoPricing } from '../../../platform/src/generated/ecowheels/ride/v1/ride_service';
import { notFound } from '../../../platform/src/errors';
import type { AsyncHandlers } from '../../../platform/src/grpc/server';
import {
  batchIdsField,
  geoPointField,
  idempotencyKeyField,
  pageSizeField,
  parseRequest,
  uuidField,
} from '../../../platform/src/grpc/validation';
import type { Pricing } from '../domain/pricing';
import type { Ride, RideStatus } from '../domain/ride';
import type { RideFlow, RideStore } from '../domain/ride-flow';
import { pageRidesOfRider } from '../domain/ride-history';

const RIDE_STATUS: Record<RideStatus, ProtoRideStatus> = {
  STARTING: ProtoRideStatus.RIDE_STATUS_STARTING,
  ACTIVE: ProtoRideStatus.RIDE_STATUS_ACTIVE,
  ENDING: ProtoRideStatus.RIDE_STATUS_ENDING,
  COMPLETED: ProtoRideStatus.RIDE_STATUS_COMPLETED,
  CANCELLING: ProtoRideStatus.RIDE_STATUS_CANCELLING,
  CANCELLED: ProtoRideStatus.RIDE_STATUS_CANCELLED,
};

const toProtoPricing = (pricing: Pricing): ProtoPricing => ({
  unlockFee: { amountMinor: pricing.unlockFeeMinor, currency: pricing.currency },
  perMinute: { amountMinor: pricing.perMinuteMinor, currency: pricing.currency },
  holdMinutes: pricing.holdMinutes,
});

const toProtoRide = (ride: Ride): ProtoRide => ({
  id: ride.id,
  riderId: ride.riderId,
  bikeId: ride.bikeId,
  status: RIDE_STATUS[ride.status],
  startTime: ride.startTime,
  endTime: ride.endTime,
  startLocation: ride.startLocation,
  endLocation: ride.endLocation,
  pricing: toProtoPricing(ride.pricing),
  fare: ride.fareMinor === undefined ? undefined : { amountMinor: ride.fareMinor, currency: ride.pricing.currency },
  holdKey: ride.holdKey,
  failureReason: ride.failureReason,
  createTime: ride.createdAt,
  updateTime: ride.updatedAt,
});

const schemas = {
  startRide: z.object({ riderId: uuidField, bikeId: uuidField, idempotencyKey: idempotencyKeyField }),
  endRide: z.object({
    rideId: uuidField,
    riderId: uuidField,
    endLocation: geoPointField.optional(),
    batteryPercent: z.number().int().min(0, 'must be from 0 to 100').max(100, 'must be from 0 to 100').optional(),
  }),
  rideId: z.object({ rideId: uuidField }),
  listRides: z.object({ riderId: uuidField, pageSize: pageSizeField, pageToken: z.string() }),
};

export function rideHandlers(flow: RideFlow, store: RideStore, pricing: Pricing): AsyncHandlers<RideServiceServer> {
  return {
    async startRide(request) {
      return { ride: toProtoRide(await flow.startRide(parseRequest(schemas.startRide, request))) };
    },
    async endRide(request) {
      return { ride: toProtoRide(await flow.endRide(parseRequest(schemas.endRide, request))) };
    },
    async getRide(request) {
      const { rideId } = parseRequest(schemas.rideId, request);
      const ride = await store.find(rideId);
      if (!ride) throw notFound(`ride ${rideId} does not exist`);
      return { ride: toProtoRide(ride) };
    },
    async batchGetRides(request) {
      const { rideIds } = parseRequest(z.object({ rideIds: batchIdsField }), request);
      return { rides: rideIds.length === 0 ? [] : (await store.findMany([...new Set(rideIds)])).map(toProtoRide) };
    },
    async listRides(request) {
      const { riderId, pageSize, pageToken } = parseRequest(schemas.listRides, request);
      const { items, nextPageToken } = await pageRidesOfRider(store, riderId, pageSize, pageToken);
      return { rides: items.map(toProtoRide), nextPageToken };
    },
    async getPricing() {
      return { pricing: toProtoPricing(pricing) };
    },
  };
}
