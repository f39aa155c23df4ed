// Builders for what most tests need first: a rider who may ride and has money, and a free bike.
import { randomUUID } from 'node:crypto';
import type { TestStack } from './stack';

type Clients = ReturnType<TestStack['clients']>;

export const CENTRE = { latitude: 52.3791, longitude: 4.9003 };

export async function newRider(clients: Pick<Clients, 'user'>, options: { verified?: boolean } = {}) {
  const email = `rider-${randomUUID()}@example.test`;
  const password = 'correct horse battery';
  const { rider } = await clients.user.createRider({ email, displayName: 'Test Rider', password });
  if (options.verified ?? true) await clients.user.confirmRiderIdentity({ riderId: rider!.id });
  return { riderId: rider!.id, email, password };
}

export async function topUp(clients: Pick<Clients, 'payment'>, riderId: string, amountMinor: number) {
  return clients.payment.topUpWallet({
    riderId,
    amount: { amountMinor, currency: 'EUR' },
    cardNumber: '4242424242424242',
    idempotencyKey: randomUUID(),
  });
}

export async function riderWithFunds(clients: Pick<Clients, 'user' | 'payment'>, amountMinor = 2000) {
  const rider = await newRider(clients);
  await topUp(clients, rider.riderId, amountMinor);
  return rider;
}

export async function newBike(clients: Pick<Clients, 'inventory'>, batteryPercent = 80) {
  const { bike } = await clients.inventory.registerBike({
    model: 'EcoWheels City 3',
    location: CENTRE,
    batteryPercent,
    stationId: '',
  });
  return bike!;
}
