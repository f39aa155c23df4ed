// The relays after each cleaning batch: a failure of one round (the database, a service down) is
// logged and let go, and never stops the rounds after it.
import { Writable } from 'node:stream';
import pino from 'pino';
import { meshCredentials } from '../../services/platform/src/mesh/credentials';
import { CuratedRelays, type RiderLookupStore } from '../../services/telematics/src/grpc/curated-relays';
import { eventually } from '../support/eventually';
import { unusedAddress } from '../support/unused-address';

function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('curated relays', () => {
  it('go on relaying after the database failed a rider lookup', async () => {
    let lookups = 0;
    const store: RiderLookupStore = {
      ridesWithoutRider: () => {
        lookups += 1;
        return lookups === 1 ? Promise.reject(new Error('Connection terminated unexpectedly')) : Promise.resolve([]);
      },
      setRiders: () => Promise.resolve(),
    };
    const { logger, lines } = capturedLogger();
    // Inventory and ride are down (nothing listens): positions are logged as let go.
    const relays = new CuratedRelays({
      inventoryAddress: await unusedAddress(),
      rideAddress: await unusedAddress(),
      mesh: meshCredentials({ mode: 'istio', certsDir: '', identity: 'telematics' }),
      deadlineMs: 300,
      throttleMs: 0,
      store,
      logger: logger as never,
    });
    relays.curated([], true);
    relays.curated([{ bikeId: 'b1', lastSequence: 1, lastRecordedAt: new Date(), latitude: 52.37, longitude: 4.89, batteryPercent: 80 }], true);
    await eventually(async () => expect(lines.map((line) => line.msg)).toContain('could not update bike positions in inventory; the next readings will'));
    expect(lines.map((line) => line.msg)).toContain('could not find whose rides these are; will ask again');
    expect(lookups).toBe(2);
    await expect(relays.stop()).resolves.toBeUndefined();
  });
});
