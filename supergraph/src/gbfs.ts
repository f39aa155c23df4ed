// The public GBFS 3.0 feed (General Bikeshare Feed Specification, MobilityData), served by the
// gateway under /gbfs/v3/ with no API key: what cities and journey planners read of a bike-share
// system. Built from the inventory (stations, and the bikes that may be rented, under their listing
// ids) and the ride service's tariff.
//
// Privacy, as the spec asks: a bike held for a ride never appears, and its vehicle_id is its listing
// id, a random id that inventory replaces after every trip (never the bike's own id), so nobody can
// follow a bike, and so its riders, from trip to trip (docs/rider-privacy.md).
//
// One snapshot per REFRESH: the sources are read once, and every file is built once from that read,
// so an anonymous request costs a lookup, the bytes (and so the ETag) stay the same until the next
// snapshot, and a reader that sends If-None-Match gets 304. Every URL in the feed starts with the
// configured base URL, never one taken from the request's Host header: the files are cached by
// shared caches (Cache-Control: public), and a forged Host must not end up in anyone's copy.
//
// Honest timing: every file's last_updated is when the data was read, and its ttl the refresh
// period; Cache-Control's max-age is what is left of it, and Last-Modified and the ETag let a reader
// ask again cheaply.
import express, { type Request, type Response, type Router } from 'express';
import type { Gbfs, Manifest, StationInformation, StationStatus, SystemInformation, SystemPricingPlans, VehicleStatus, VehicleTypes } from 'gbfs-typescript-types/v3.0';
import type { Logger } from '../../services/platform/src/logger';
import { lazyCounter, lazyHistogram } from '../../services/platform/src/telemetry/tracing';

/** gbfs_feed_age_seconds: how old the data of each file served was (the GBFS freshness SLI). */
const recordFeedAge = lazyHistogram('gbfs.feed.age', 'Age of the data in each GBFS file served, from its read to the response', 's');
/** gbfs_feed_unavailable_total: requests answered 503 because a source could not be read. */
const recordFeedUnavailable = lazyCounter('gbfs.feed.unavailable', 'GBFS requests answered 503: a source could not be read');

export interface GbfsStation {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  capacity: number;
}

export interface GbfsVehicle {
  /** The bike's listing id, replaced after every trip. */
  listingId: string;
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
  /** Where the feed is published, without a trailing slash: https://api.example/gbfs/v3. */
  baseUrl(): string;
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
  /** The vehicle types, sorted. */
  models: string[];
  /** The vehicles parked at each station, counted once per snapshot. */
  vehiclesAt: Map<string, GbfsVehicle[]>;
  /** Each file's bytes as sent, built from this snapshot when first asked for. */
  files: Map<string, string>;
}

/** "EcoWheels Cargo 1" → "ecowheels-cargo-1". */
const vehicleTypeId = (model: string) => model.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'ebike';
const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function readSnapshot(sources: GbfsSources): Promise<Snapshot> {
  return Promise.all([sources.stations(), sources.vehicles(), sources.tariff()]).then(([stations, vehicles, tariff]) => {
    const vehiclesAt = new Map<string, GbfsVehicle[]>();
    for (const vehicle of vehicles) {
      if (!vehicle.stationId) continue;
      const here = vehiclesAt.get(vehicle.stationId);
      if (here) here.push(vehicle);
      else vehiclesAt.set(vehicle.stationId, [vehicle]);
    }
    return { at: new Date(), stations, vehicles, tariff, models: [...new Set(vehicles.map((vehicle) => vehicle.model))].sort(), vehiclesAt, files: new Map() };
  });
}

export function gbfsRouter(sources: GbfsSources, settings: GbfsSettings, logger: Logger): Router {
  // Exported at zero from the start: the GBFS freshness SLI reads it before any source fails.
  recordFeedUnavailable(0);
  const text = (value: string) => [{ text: value, language: settings.language }];
  let cached: Promise<Snapshot> | undefined;
  let cachedAt = 0;

  /** One read of every source, shared by the requests of the next `refreshSeconds`. */
  const snapshot = (): Promise<Snapshot> => {
    if (!cached || Date.now() - cachedAt >= settings.refreshSeconds * 1000) {
      cachedAt = Date.now();
      const reading = readSnapshot(sources);
      cached = reading;
      // A failed read is not kept: the next request tries again.
      reading.catch(() => {
        if (cached === reading) cached = undefined;
      });
    }
    return cached;
  };

  const files: Record<string, (snap: Snapshot) => object> = {
    gbfs: (): Gbfs['data'] => ({
      feeds: ['system_information', 'vehicle_types', 'station_information', 'station_status', 'vehicle_status', 'system_pricing_plans'].map((name) => ({
        name: name as Gbfs['data']['feeds'][number]['name'],
        url: `${settings.baseUrl()}/${name}.json`,
      })),
    }),
    manifest: (): Manifest['data'] => ({ datasets: [{ system_id: settings.systemId, versions: [{ version: VERSION, url: `${settings.baseUrl()}/gbfs.json` }] }] }),
    system_information: (): SystemInformation['data'] => ({
      system_id: settings.systemId,
      languages: [settings.language],
      name: text(settings.name),
      operator: text(settings.operator),
      opening_hours: '24/7',
      feed_contact_email: settings.contactEmail,
      timezone: settings.timezone as SystemInformation['data']['timezone'],
      manifest_url: `${settings.baseUrl()}/manifest.json`,
    }),
    vehicle_types: (snap): VehicleTypes['data'] => ({
      vehicle_types: snap.models.map((model) => ({
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
        const here = snap.vehiclesAt.get(station.id) ?? [];
        return {
          station_id: station.id,
          num_vehicles_available: here.length,
          vehicle_types_available: snap.models.map((model) => ({ vehicle_type_id: vehicleTypeId(model), count: here.filter((vehicle) => vehicle.model === model).length })),
          is_installed: true,
          is_renting: true,
          is_returning: true,
          last_reported: rfc3339(snap.at),
        };
      }),
    }),
    vehicle_status: (snap): VehicleStatus['data'] => ({
      vehicles: snap.vehicles.map((vehicle) => ({
        vehicle_id: vehicle.listingId,
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
    const name = String(req.params.file);
    let snap: Snapshot;
    try {
      snap = await snapshot();
    } catch (error) {
      logger.warn({ err: error }, 'GBFS feed: a source is unavailable');
      recordFeedUnavailable(1);
      res.status(503).set('retry-after', '5').json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'the feed cannot be read right now; retry shortly' } });
      return;
    }
    let body = snap.files.get(name);
    if (body === undefined) {
      body = JSON.stringify({ last_updated: rfc3339(snap.at), ttl: settings.refreshSeconds, version: VERSION, data: build(snap) });
      snap.files.set(name, body);
    }
    recordFeedAge((Date.now() - snap.at.getTime()) / 1000, { file: name });
    const maxAge = Math.max(0, Math.ceil((snap.at.getTime() + settings.refreshSeconds * 1000 - Date.now()) / 1000));
    res
      .set({
        'content-type': 'application/json; charset=utf-8',
        'cache-control': `public, max-age=${maxAge}`,
        'last-modified': snap.at.toUTCString(),
        // Anyone may read a public feed, from any web page.
        'access-control-allow-origin': '*',
      })
      // Express answers 304 itself when the ETag (of these same bytes) matches If-None-Match.
      .send(body);
  });
  return router;
}
