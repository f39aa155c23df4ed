// InventoryService over gRPC: validates each request, calls the fleet, maps the answer to proto.
import { z } from 'zod';
import {
  BikeStatus as ProtoBikeStatus,
  ReservationStatus as ProtoReservationStatus,
  type Bike as ProtoBike,
  type InventoryServiceServer,
  type Reservation as ProtoReservation,
  type Station as ProtoStation,
} from '../../../platform/src/generated/ecowheels/inventory/v1/inventory_service';
import type { AsyncHandlers } from '../../../platform/src/grpc/server';
import { batchIdsField, geoPointField, pageSizeField, parseRequest, rangeField, uuidField } from '../../../platform/src/grpc/validation';
import type { Bike, BikeStatus, Reservation, ReservationStatus, Station } from '../domain/bike';
import type { Fleet, HeldBike } from '../domain/fleet';

const BIKE_STATUS: Record<BikeStatus, ProtoBikeStatus> = {
  AVAILABLE: ProtoBikeStatus.BIKE_STATUS_AVAILABLE,
  RESERVED: ProtoBikeStatus.BIKE_STATUS_RESERVED,
  IN_RIDE: ProtoBikeStatus.BIKE_STATUS_IN_RIDE,
  MAINTENANCE: ProtoBikeStatus.BIKE_STATUS_MAINTENANCE,
};

const RESERVATION_STATUS: Record<ReservationStatus, ProtoReservationStatus> = {
  RESERVED: ProtoReservationStatus.RESERVATION_STATUS_RESERVED,
  UNLOCKED: ProtoReservationStatus.RESERVATION_STATUS_UNLOCKED,
  RELEASED: ProtoReservationStatus.RESERVATION_STATUS_RELEASED,
};

const toProtoBike = (bike: Bike): ProtoBike => ({
  id: bike.id,
  listingId: bike.listingId,
  model: bike.model,
  status: BIKE_STATUS[bike.status],
  batteryPercent: bike.batteryPercent,
  location: bike.location,
  stationId: bike.stationId ?? '',
  updateTime: bike.updatedAt,
});

const toProtoReservation = (reservation: Reservation): ProtoReservation => ({
  rideId: reservation.rideId,
  bikeId: reservation.bikeId,
  status: RESERVATION_STATUS[reservation.status],
  createTime: reservation.createdAt,
  updateTime: reservation.updatedAt,
});

const toProtoStation = (station: Station): ProtoStation => ({ ...station });

const toHeldResponse = ({ reservation, bike }: HeldBike) => ({
  reservation: toProtoReservation(reservation),
  bike: toProtoBike(bike),
});

const batteryField = z.number().int().min(0, 'must be from 0 to 100').max(100, 'must be from 0 to 100');
const optionalStationId = z.union([z.literal(''), uuidField]).transform((id) => id || undefined);
const nameField = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const bikeAndRide = z.object({ bikeId: uuidField, rideId: uuidField });

const schemas = {
  registerBike: z.object({ model: nameField, location: geoPointField, batteryPercent: batteryField, stationId: optionalStationId }),
  bikeId: z.object({ bikeId: uuidField }),
  identifyBike: z.object({ code: uuidField }),
  feedPage: z.object({ pageSize: z.number().int().min(0).max(1000, 'must be at most 1000'), pageToken: z.string() }),
  reserveBike: bikeAndRide.extend({ riderId: z.union([z.literal(''), uuidField]) }),
  listNear: z.object({
    center: geoPointField,
    radiusMeters: rangeField(50_000),
    pageSize: pageSizeField,
    pageToken: z.string(),
  }),
  updateStatus: z.object({
    bikeId: uuidField,
    status: z.union([z.literal(ProtoBikeStatus.BIKE_STATUS_AVAILABLE), z.literal(ProtoBikeStatus.BIKE_STATUS_MAINTENANCE)], {
      error: 'must be BIKE_STATUS_AVAILABLE or BIKE_STATUS_MAINTENANCE; reservations change the others',
    }),
    batteryPercent: batteryField.optional(),
  }),
  release: z.object({
    bikeId: uuidField,
    rideId: uuidField,
    location: geoPointField.optional(),
    batteryPercent: batteryField.optional(),
  }),
  recordTelemetry: z.object({
    bikes: z
      .array(
        z.object({
          bikeId: uuidField,
          location: geoPointField,
          batteryPercent: batteryField,
          recordTime: z.date({ error: 'is required' }),
        }),
      )
      .max(500, 'at most 500 bikes per call'),
  }),
  createStation: z.object({
    name: nameField,
    location: geoPointField,
    capacity: rangeField(1000),
  }),
};

export function inventoryHandlers(fleet: Fleet): AsyncHandlers<InventoryServiceServer> {
  return {
    async registerBike(request) {
      return { bike: toProtoBike(await fleet.registerBike(parseRequest(schemas.registerBike, request))) };
    },
    async getBike(request) {
      const { bikeId } = parseRequest(schemas.bikeId, request);
      return { bike: toProtoBike(await fleet.getBike(bikeId)) };
    },
    async identifyBike(request) {
      const { code } = parseRequest(schemas.identifyBike, request);
      return { bike: toProtoBike(await fleet.identifyBike(code)) };
    },
    async batchGetBikes(request) {
      const { bikeIds } = parseRequest(z.object({ bikeIds: batchIdsField }), request);
      return { bikes: (await fleet.getBikes(bikeIds)).map(toProtoBike) };
    },
    async listAvailableBikesNear(request) {
      const { items, nextPageToken } = await fleet.pageAvailableNear(parseRequest(schemas.listNear, request));
      return { bikes: items.map(({ bike, distanceMeters }) => ({ bike: toProtoBike(bike), distanceMeters })), nextPageToken };
    },
    async updateBikeStatus(request) {
      const { bikeId, status, batteryPercent } = parseRequest(schemas.updateStatus, request);
      const domainStatus = status === ProtoBikeStatus.BIKE_STATUS_AVAILABLE ? 'AVAILABLE' : 'MAINTENANCE';
      return { bike: toProtoBike(await fleet.updateStatus(bikeId, domainStatus, batteryPercent)) };
    },
    async reserveBike(request) {
      const { bikeId, rideId, riderId } = parseRequest(schemas.reserveBike, request);
      return toHeldResponse(await fleet.reserve(bikeId, rideId, riderId || undefined));
    },
    async unlockBike(request) {
      const { bikeId, rideId } = parseRequest(bikeAndRide, request);
      return toHeldResponse(await fleet.unlock(bikeId, rideId));
    },
    async releaseBike(request) {
      const { bikeId, rideId, location, batteryPercent } = parseRequest(schemas.release, request);
      return toHeldResponse(await fleet.release(bikeId, rideId, { location, batteryPercent }));
    },
    async createStation(request) {
      return { station: toProtoStation(await fleet.createStation(parseRequest(schemas.createStation, request))) };
    },
    async recordBikeTelemetry(request) {
      const { bikes } = parseRequest(schemas.recordTelemetry, request);
      const updatedCount = await fleet.recordTelemetry(
        bikes.map(({ bikeId, location, batteryPercent, recordTime }) => ({ bikeId, location, batteryPercent, recordedAt: recordTime })),
      );
      return { updatedCount };
    },
    async listStations() {
      return { stations: (await fleet.listStations()).map(toProtoStation) };
    },
    async listFeedVehicles(request) {
      const { pageSize, pageToken } = parseRequest(schemas.feedPage, request);
      const { items, nextPageToken } = await fleet.pageFeedVehicles(pageSize || 1000, pageToken);
      return {
        nextPageToken,
        vehicles: items.map((vehicle) => ({
          feedId: vehicle.listingId,
          model: vehicle.model,
          batteryPercent: vehicle.batteryPercent,
          location: vehicle.location,
          stationId: vehicle.stationId ?? '',
          updateTime: vehicle.updatedAt,
        })),
      };
    },
  };
}
