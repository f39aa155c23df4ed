// The public GBFS 3.0 feed on the gateway, against the real stack: every file validates against the
// official GBFS 3.0 JSON Schemas (MobilityData, Apache-2.0, copied under test/fixtures), no API key
// is needed, the caching headers tell the truth, a bike held for a ride is not in the feed, and its
// vehicle_id is a fresh random one after the trip.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { CENTRE, newBike, riderWithFunds } from '../support/fixtures';
import { describeWithPostgres } from '../support/postgres';
import { useTestStack } from '../support/stack';

const SCHEMAS = join(__dirname, '..', 'fixtures', 'gbfs-json-schema-v3.0');
const FILES = ['gbfs', 'manifest', 'system_information', 'vehicle_types', 'station_information', 'station_status', 'vehicle_status', 'system_pricing_plans'];

describeWithPostgres('the public GBFS 3.0 feed', () => {
  // Read afresh for every request, so the test sees each change at once.
  const running = useTestStack({ GBFS_REFRESH_SECONDS: '1' });
  let base: string;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validators = Object.fromEntries(FILES.map((file) => [file, ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, `${file}.json`), 'utf8')) as object)]));

  beforeAll(() => {
    base = running.stack.service('gateway').graphqlUrl.replace(/\/graphql$/, '/gbfs/v3');
  });

  const get = async (file: string) => {
    const response = await fetch(`${base}/${file}.json`); // no API key
    return { status: response.status, headers: response.headers, body: (await response.json()) as { last_updated: string; ttl: number; version: string; data: Record<string, any> } };
  };
  /** Waits out the feed's cache (one second here), so the next read sees the latest data. */
  const fresh = () => new Promise((resolve) => setTimeout(resolve, 1100));

  it('serves every file with no API key, each valid against the official GBFS 3.0 schema', async () => {
    const station = await running.clients.inventory.createStation({ name: 'Centraal', location: CENTRE, capacity: 20 });
    await newBike(running.clients);
    await fresh();
    for (const file of FILES) {
      const { status, body } = await get(file);
      expect({ file, status }).toEqual({ file, status: 200 });
      const valid = validators[file](body);
      expect({ file, errors: validators[file].errors ?? null }).toEqual({ file, errors: null });
      expect(valid).toBe(true);
      expect(body.version).toBe('3.0');
    }
    const discovery = await get('gbfs');
    expect(discovery.body.data.feeds.map((feed: { name: string }) => feed.name).sort()).toEqual(
      ['station_information', 'station_status', 'system_information', 'system_pricing_plans', 'vehicle_status', 'vehicle_types'],
    );
    for (const feed of discovery.body.data.feeds as { url: string }[]) expect(feed.url.startsWith(base)).toBe(true);
    expect((await get('station_information')).body.data.stations).toContainEqual(expect.objectContaining({ station_id: station.station!.id, name: [{ text: 'Centraal', language: 'en' }] }));
    // The pricing plan is the tariff the ride service charges.
    const tariff = await running.clients.ride.getPricing({});
    const [plan] = (await get('system_pricing_plans')).body.data.plans;
    expect(plan).toMatchObject({ currency: tariff.pricing!.unlockFee!.currency, price: tariff.pricing!.unlockFee!.amountMinor / 100, per_min_pricing: [{ start: 0, rate: tariff.pricing!.perMinute!.amountMinor / 100, interval: 1 }] });
    expect((await fetch(`${base}/nothing.json`)).status).toBe(404);
  });

  it('says honestly how fresh each file is, to readers and caches', async () => {
    const { headers, body } = await get('vehicle_status');
    const updated = new Date(body.last_updated).getTime();
    expect(Date.now() - updated).toBeLessThan(5000);
    // ttl is the refresh period; caches are told what is left of it.
    expect(body.ttl).toBe(1);
    expect(headers.get('cache-control')).toMatch(/^public, max-age=[01]$/);
    expect(new Date(headers.get('last-modified')!).getTime()).toBe(Math.floor(updated / 1000) * 1000);
    expect(headers.get('access-control-allow-origin')).toBe('*');
    // A reader that has the file already gets 304 without the body (test/gateway/api-edges.test.ts
    // shows it on a feed that refreshes every 30 s; this one turns over every second).
  });

  it('leaves out a bike held for a ride, and shows it under a new vehicle_id after the trip', async () => {
    const bike = await newBike(running.clients);
    await fresh();
    const ids = async () => new Set(((await get('vehicle_status')).body.data.vehicles as { vehicle_id: string }[]).map((vehicle) => vehicle.vehicle_id));
    const before = await ids();
    // Which feed id is this bike's? The one that leaves the feed when the bike is taken.
    const rider = await riderWithFunds(running.clients);
    const { ride } = await running.clients.ride.startRide({ riderId: rider.riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    await fresh();
    const during = await ids();
    const gone = [...before].filter((id) => !during.has(id));
    expect(gone).toHaveLength(1);
    expect(during.has(bike.id)).toBe(false); // never the bike's own id either
    await running.clients.ride.endRide({ rideId: ride!.id, riderId: rider.riderId, endLocation: CENTRE });
    await fresh();
    const after = await ids();
    const back = [...after].filter((id) => !during.has(id));
    expect(back).toHaveLength(1);
    expect(back[0]).not.toBe(gone[0]);
    expect(after.has(gone[0])).toBe(false);
  });
});
