// Demo data for the embedded default, made through the services' own RPCs: stations and bikes
// around Amsterdam Centraal, a verified rider with wallet credit, and API keys. Safe to run on
// every start: what exists is kept, and the secrets made the first time are kept in the data
// folder (they are shown only once by the services themselves).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InventoryServiceClient, InventoryServiceService } from '../../platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { PaymentServiceClient, PaymentServiceService } from '../../platform/src/generated/ecowheels/payment/v1/payment_service';
import { TelematicsServiceClient, TelematicsServiceService } from '../../platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { UserServiceClient, UserServiceService } from '../../platform/src/generated/ecowheels/user/v1/user_service';
import { DomainError } from '../../platform/src/errors';
import { createClient } from '../../platform/src/grpc/client';
import type { MeshCredentials } from '../../platform/src/mesh/credentials';

export const CITY_CENTRE = { latitude: 52.3791, longitude: 4.9003 }; // Amsterdam Centraal

const STATIONS = [
  { name: 'Centraal Station', latitude: 52.3791, longitude: 4.9003, capacity: 40 },
  { name: 'Dam Square', latitude: 52.3731, longitude: 4.8926, capacity: 25 },
  { name: 'Museumplein', latitude: 52.3573, longitude: 4.8818, capacity: 30 },
];
const BIKES_PER_STATION = 6;
const MODELS = ['EcoWheels City 3', 'EcoWheels Cargo 1', 'EcoWheels Sport 2'];

export interface DemoCredentials {
  riderEmail: string;
  riderPassword: string;
  riderId?: string;
  /** An app's key: with trusted documents enforced (npm start), it runs only live manifests' ids. */
  apiKey?: string;
  /** A key with the "developer" scope, which may send any document: the explorer's and the walkthrough's. */
  developerApiKey?: string;
  /** A key with the "ops" scope, for fleet-wide figures (fleetImpact). */
  opsApiKey?: string;
  fleetSeeded?: boolean;
  /** Each demo bike's device secret, so the walkthrough can send readings as the bike would. */
  devices?: Record<string, string>;
  walletToppedUp?: boolean;
}

export async function seedDemoData(
  dataDir: string,
  addresses: { user: string; inventory: string; payment: string; telematics: string },
  mesh: MeshCredentials,
): Promise<DemoCredentials> {
  const file = join(dataDir, 'demo-credentials.json');
  const demo: DemoCredentials = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials)
    : { riderEmail: 'demo.rider@ecowheels.example', riderPassword: `demo-${randomBytes(9).toString('base64url')}` };
  const save = () => writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  save(); // the password is kept before the rider is made with it

  const options = { defaultDeadlineMs: 10_000, mesh };
  const user = createClient(UserServiceClient, UserServiceService, { ...options, address: addresses.user, peerName: 'user' });
  const inventory = createClient(InventoryServiceClient, InventoryServiceService, { ...options, address: addresses.inventory, peerName: 'inventory' });
  const payment = createClient(PaymentServiceClient, PaymentServiceService, { ...options, address: addresses.payment, peerName: 'payment' });
  const telematics = createClient(TelematicsServiceClient, TelematicsServiceService, { ...options, address: addresses.telematics, peerName: 'telematics' });
  try {
    if (!demo.riderId) {
      const { rider } = await user
        .createRider({ email: demo.riderEmail, displayName: 'Demo Rider', password: demo.riderPassword })
        .catch(async (error: unknown) => {
          if (error instanceof DomainError && error.kind === 'ALREADY_EXISTS') {
            return user.loginRider({ email: demo.riderEmail, password: demo.riderPassword });
          }
          throw error;
        });
      demo.riderId = rider!.id;
      await user.confirmRiderIdentity({ riderId: demo.riderId });
      save();
    }
    if (!demo.walletToppedUp) {
      await payment.topUpWallet({
        riderId: demo.riderId,
        amount: { amountMinor: 2000, currency: 'EUR' },
        cardNumber: '4242424242424242',
        idempotencyKey: `demo-seed-top-up-${demo.riderId}`,
      });
      demo.walletToppedUp = true;
      save();
    }
    if (!demo.apiKey) {
      demo.apiKey = (await user.createApiClient({ name: 'EcoWheels demo app', scopes: [] })).apiKey;
      save();
    }
    if (!demo.developerApiKey) {
      demo.developerApiKey = (await user.createApiClient({ name: 'EcoWheels developer', scopes: ['developer'] })).apiKey;
      save();
    }
    if (!demo.opsApiKey) {
      demo.opsApiKey = (await user.createApiClient({ name: 'EcoWheels operations dashboard', scopes: ['ops'] })).apiKey;
      save();
    }
    if (!demo.fleetSeeded) {
      for (const [index, station] of STATIONS.entries()) {
        const location = { latitude: station.latitude, longitude: station.longitude };
        const created = await inventory.createStation({ name: station.name, location, capacity: station.capacity });
        for (let n = 0; n < BIKES_PER_STATION; n += 1) {
          // Spread the bikes a few dozen metres around the station, deterministically.
          const angle = (2 * Math.PI * n) / BIKES_PER_STATION;
          await inventory.registerBike({
            model: MODELS[(index + n) % MODELS.length],
            location: { latitude: location.latitude + 0.0003 * Math.sin(angle), longitude: location.longitude + 0.0005 * Math.cos(angle) },
            batteryPercent: 55 + ((index * 7 + n * 9) % 45),
            stationId: created.station!.id,
          });
        }
      }
      demo.fleetSeeded = true;
      save();
    }
    if (!demo.devices) {
      // Every demo bike's IoT unit gets its credential, as a bike does when it joins the fleet.
      const { bikes } = await inventory.listAvailableBikesNear({ center: CITY_CENTRE, radiusMeters: 5000, pageSize: 100, pageToken: '' });
      const devices: Record<string, string> = {};
      for (const { bike } of bikes) {
        devices[bike!.id] = (await telematics.provisionDevice({ bikeId: bike!.id, rotate: true })).secret;
      }
      demo.devices = devices;
      save();
    }
    return demo;
  } finally {
    user.close();
    inventory.close();
    payment.close();
    telematics.close();
  }
}
