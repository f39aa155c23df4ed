// Local mesh mode with real processes: every gRPC server demands a client certificate from the
// development CA, reads the caller's identity from it, and lets in only the callers the mesh policy
// lists for each method. The ride flow runs over it end to end. Istio mode is plaintext instead.
import { credentials, status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RideStatus } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { ensureMeshCertificates } from '../../services/platform/src/mesh/certificates';
import { meshCredentials } from '../../services/platform/src/mesh/credentials';
import { newBike, riderWithFunds } from '../support/fixtures';
import { expectStatus, paymentClient, rideClient, userClient } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { SharedStack, TEST_ENV, TestStack, testCredentials } from '../support/stack';

describeWithPostgres('local mesh mode (mTLS without Istio)', () => {
  // The run's shared stack runs in the default mode, local; nothing here changes it.
  let stack: SharedStack;
  beforeAll(async () => {
    stack = await SharedStack.connect();
  });
  afterAll(() => stack?.disconnect());

  const as = testCredentials;

  it('refuses a caller the policy does not list, with PERMISSION_DENIED naming who may call', async () => {
    const payment = paymentClient(stack.service('payment').address, as('gateway'));
    await expectStatus(
      payment.authorize({ riderId: randomUUID(), amount: { amountMinor: 100, currency: 'EUR' }, holdKey: `ride:${randomUUID()}`, description: 'x' }),
      status.PERMISSION_DENIED,
      /gateway may not call ecowheels\.payment\.v1\.PaymentService\/Authorize; the mesh policy \(mesh-config\/policy\.ts\) allows ride, operator/,
    );
    payment.close();
    const user = userClient(stack.service('user').address, as('ride'));
    await expectStatus(user.createApiClient({ name: 'sneaky', scopes: [] }), status.PERMISSION_DENIED, /ride may not call/);
    // ...while a listed caller gets through: ride may ask whether a rider may ride.
    await expectStatus(user.verifyRider({ riderId: randomUUID() }), status.NOT_FOUND);
    user.close();
  });

  it('refuses a call without a client certificate, in plaintext, or with a certificate from another CA', async () => {
    const address = stack.service('user').address;
    const ca = readFileSync(join(TEST_ENV.MESH_CERTS_DIR, 'ca.pem'));
    const noCertificate = userClient(address, { ...as('operator'), client: credentials.createSsl(ca) });
    await expectStatus(noCertificate.getRider({ riderId: randomUUID() }), status.UNAVAILABLE);
    noCertificate.close();
    const plaintext = userClient(address, { ...as('operator'), client: credentials.createInsecure() });
    await expectStatus(plaintext.getRider({ riderId: randomUUID() }), status.UNAVAILABLE);
    plaintext.close();
    const otherDir = mkdtempSync(join(tmpdir(), 'ecowheels-other-ca-'));
    await ensureMeshCertificates(otherDir, ['operator']);
    const other = meshCredentials({ mode: 'local', certsDir: otherDir, identity: 'operator' });
    const forged = userClient(address, { ...other, client: credentials.createSsl(ca, readFileSync(join(otherDir, 'operator-key.pem')), readFileSync(join(otherDir, 'operator.pem'))) });
    await expectStatus(forged.getRider({ riderId: randomUUID() }), status.UNAVAILABLE);
    forged.close();
    rmSync(otherDir, { recursive: true, force: true });
  });

  it('runs the ride flow end to end over mTLS, ride calling the others as itself', async () => {
    const clients = stack.clients();
    expect(stack.service('ride').ready.meshMode).toBe('local');
    const { riderId } = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const { ride } = await clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    expect(ride!.status).toBe(RideStatus.RIDE_STATUS_ACTIVE);
    const { ride: ended } = await clients.ride.endRide({ rideId: ride!.id, riderId });
    expect(ended!.status).toBe(RideStatus.RIDE_STATUS_COMPLETED);
    for (const client of Object.values(clients)) client.close();
  });
});

describeWithPostgres('Istio mode', () => {
  it('listens in plaintext and leaves authorization to the sidecar', async () => {
    const stack = await TestStack.start({ MESH_MODE: 'istio' });
    try {
      const plain = { ...stack.credentials, client: credentials.createInsecure() };
      const ride = rideClient(stack.service('ride').address, plain);
      expect((await ride.getPricing({})).pricing!.holdMinutes).toBe(30);
      ride.close();
      const clients = stack.clients();
      const { riderId } = await riderWithFunds(clients);
      const bike = await newBike(clients);
      const { ride: started } = await clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
      expect(started!.status).toBe(RideStatus.RIDE_STATUS_ACTIVE);
      for (const client of Object.values(clients)) client.close();
    } finally {
      await stack.stop();
    }
  });
});
