// The public GBFS 3.0 feed (General Bikeshare Feed Specification, MobilityData), served by the
// gateway under /gbfs/v3/ with no API key: what cities and journey planners read of a bike-share
// system. Built from the inventory (stations, and the bikes that may be rented, under their feed
// ids) and the ride service's tariff, read together at most once per REFRESH and cached.
//
// Privacy, as the spec asks: a bike held for a ride never appears, and its vehicle_id is a random
// id that inventory replaces after every trip (never the bike's own id), so nobody can follow a bike,
// and so its riders, from trip to trip.
//
// Honest timing: every file's last_updated is when the data was read, and its ttl the seconds until
// it is read again; Cache-Control says the same to caches, and Last-Modified and the ETag let a
// reader ask again cheaply.
import express, { type Request, type Response, type Router } from 'express';
import type { Gbfs, Manifest, StationInformation, StationStatus, SystemInformation, SystemPricingPlans, VehicleStatus, VehicleTypes } from 'gbfs-typescript-types/v3.0';
import type { Logger } from '../../services/platform/src/logger';

export interface GbfsStation {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  capacity: number;
}

export interface GbfsVehicle {
  feedId: string;
  model: string;
  batteryPercent: number;
  latitude: number;
  longitude: number;
  stationId?: string;
  updatedAt: Date;
}

export interface GbfsTariff {
  currency: string;
  unlockFeeMinor: number;
  perMinuteMinor: number;
}

/** Where the feed's data comes from (the gateway's gRPC clients of inventory and ride). */
export interface GbfsSources {
  stations(): Promise<GbfsStation[]>;
  vehicles(): Promise<GbfsVehicle[]>;
  tariff(): Promise<GbfsTariff>;
}

export interface GbfsSettings {
  systemId: string;
  name: string;
  operator: string;
  timezone: string;
  contactEmail: string;
  /** The language of every text in the feed (BCP 47). */
  language: string;
  /** A full battery's range, for current_range_meters and the vehicle types. */
  maxRangeMeters: number;
  /** How long one read of the sources serves the feed (s). */
  refreshSeconds: number;
}

const VERSION = '3.0';
const PLAN_ID = 'pay-as-you-ride';
/** Minor units per major unit, for the currencies a tariff may be in (ISO 4217 exponent 2). */
const MINOR_PER_MAJOR = 100;

interface Snapshot {
  at: Date;
  stations: GbfsStation[];
  vehicles: GbfsVehicle[];
  tariff: GbfsTariff;
}

/** "EcoWheels Cargo 1" → "ecowheels-cargo-1". */
const vehicleTypeId = (model: string) => model.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'ebike';
const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function gbfsRouter(sources: GbfsSources, settings: GbfsSettings, logger: Logger): Router {
  const text = (value: string) => [{ text: value, language: settings.language }];
  let cached: Promise<Snapshot> | undefined;
  let cachedAt = 0;

  /** One read of every source, shared by the requests of the next `refreshSeconds`. */
  const snapshot = (): Promise<Snapshot> => {
    if (!cached || Date.now() - cachedAt >= settings.refreshSeconds * 1000) {
      cachedAt = Date.now();
      cached = Promise.all([sources.stations(), sources.vehicles(), sources.tariff()]).then(([stations, vehicles, tariff]) => ({ at: new Date(), stations, vehicles, tariff }));
      // A failed read is not kept: the next request tries again.
      cached.catch(() => {
        cached = undefined;
      });
    }
    return cached;
  };

  const types = (snap: Snapshot) => [...new Set(snap.vehicles.map((vehicle) => vehicle.model))].sort();

  const files: Record<string, (snap: Snapshot, base: string) => object> = {
    gbfs: (_snap, base): Gbfs['data'] => ({
      feeds: ['system_information', 'vehicle_types', 'station_information', 'station_status', 'vehicle_status', 'system_pricing_plans'].map((name) => ({
        name: name as Gbfs['data']['feeds'][number]['name'],
        url: `${base}/${name}.json`,
      })),
    }),
    manifest: (_snap, base): Manifest['data'] => ({ datasets: [{ system_id: settings.systemId, versions: [{ version: VERSION, url: `${base}/gbfs.json` }] }] }),
    system_information: (_snap, base): SystemInformation['data'] => ({
      system_id: settings.systemId,
      languages: [settings.language],
      name: text(settings.name),
      operator: text(settings.operator),
      opening_hours: '24/7',
      feed_contact_email: settings.contactEmail,
      timezone: settings.timezone as SystemInformation['data']['timezone'],
      manifest_url: `${base}/manifest.json`,
    }),
    vehicle_types: (snap): VehicleTypes['data'] => ({
      vehicle_types: types(snap).map((model) => ({
        vehicle_type_id: vehicleTypeId(model),
        form_factor: /cargo/i.test(model) ? 'cargo_bicycle' : 'bicycle',
        propulsion_type: 'electric_assist',
        max_range_meters: settings.maxRangeMeters,
        name: text(model),
        default_pricing_plan_id: PLAN_ID,
      })),
    }),
    station_information: (snap): StationInformation['data'] => ({
      stations: snap.stations.map((station) => ({
        station_id: station.id,
        name: text(station.name),
        lat: station.latitude,
        lon: station.longitude,
        capacity: station.capacity,
        // A docking zone: bikes park in it, not in docks.
        is_virtual_station: true,
      })),
    }),
    station_status: (snap): StationStatus['data'] => ({
      stations: snap.stations.map((station) => {
        const here = snap.vehicles.filter((vehicle) => vehicle.stationId === station.id);
        return {
          station_id: station.id,
          num_vehicles_available: here.length,
          vehicle_types_available: types(snap).map((model) => ({ vehicle_type_id: vehicleTypeId(model), count: here.filter((vehicle) => vehicle.model === model).length })),
          is_installed: true,
          is_renting: true,
          is_returning: true,
          last_reported: rfc3339(snap.at),
        };
      }),
    }),
    vehicle_status: (snap): VehicleStatus['data'] => ({
      vehicles: snap.vehicles.map((vehicle) => ({
        vehicle_id: vehicle.feedId,
        lat: vehicle.latitude,
        lon: vehicle.longitude,
        ...(vehicle.stationId ? { station_id: vehicle.stationId } : {}),
        is_reserved: false, // a held bike is not in the feed at all
        is_disabled: false,
        vehicle_type_id: vehicleTypeId(vehicle.model),
        current_range_meters: Math.round((settings.maxRangeMeters * vehicle.batteryPercent) / 100),
        current_fuel_percent: vehicle.batteryPercent / 100,
        pricing_plan_id: PLAN_ID,
        last_reported: rfc3339(vehicle.updatedAt),
      })),
    }),
    system_pricing_plans: (snap): SystemPricingPlans['data'] => {
      const { currency, unlockFeeMinor, perMinuteMinor } = snap.tariff;
      const major = (minor: number) => minor / MINOR_PER_MAJOR;
      return {
        plans: [
          {
            plan_id: PLAN_ID,
            name: text('Pay as you ride'),
            currency,
            price: major(unlockFeeMinor),
            is_taxable: false,
            description: text(`${major(unlockFeeMinor).toFixed(2)} ${currency} to unlock, then ${major(perMinuteMinor).toFixed(2)} ${currency} for each started minute.`),
            // The rate is charged at the start of each one-minute interval: each started minute.
            per_min_pricing: [{ start: 0, rate: major(perMinuteMinor), interval: 1 }],
          },
        ],
      };
    },
  };

  const router = express.Router();
  router.get('/:file.json', async (req: Request, res: Response) => {
    const build = files[String(req.params.file)];
    if (!build || !Object.hasOwn(files, String(req.params.file))) {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: `no such GBFS file; start at ${req.baseUrl}/gbfs.json` } });
      return;
    }
    let snap: Snapshot;
    try {
      snap = await snapshot();
    } catch (error) {
      logger.warn({ err: error }, 'GBFS feed: a source is unavailable');
      res.status(503).set('retry-after', '5').json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'the feed cannot be read right now; retry shortly' } });
      return;
    }
    const ttl = Math.max(0, Math.ceil((snap.at.getTime() + settings.refreshSeconds * 1000 - Date.now()) / 1000));
    const base = `${req.protocol}://${req.get('host')}${req.baseUrl}`;
    res
      .set({
        'cache-control': `public, max-age=${ttl}`,
        'last-modified': snap.at.toUTCString(),
        // Anyone may read a public feed, from any web page.
        'access-control-allow-origin': '*',
      })
      .json({ last_updated: rfc3339(snap.at), ttl, version: VERSION, data: build(snap, base) });
  });
  return router;
}
