// Each subgraph answers what the Apollo Federation subgraph specification requires: its SDL through
// `_service { sdl }`, and its entities through `_entities(representations:)`, many per call.
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { RIDER_ID_HEADER, SCOPES_HEADER } from '../../services/platform/src/graphql/subgraph-server';
import { newBike, riderWithFunds } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { testCredentials, useSharedStack } from '../support/stack';

describeWithPostgres('subgraphs and the federation spec', () => {
  const running = useSharedStack();

  it.each([
    ['user', /type User\s+@key\(fields: "id"\)/],
    ['inventory', /type Bike\s+@key\(fields: "fleetId"\)/],
    ['ride', /type Ride\s+@key\(fields: "id"\)/],
    ['payment', /type Ride\s+@key\(fields: "id"\)[\s\S]*charge: Charge @requires\(fields: "holdKey"\)/],
  ] as const)('%s answers _service { sdl } with its schema', async (name, expected) => {
    const result = await graphql(running.stack.service(name).graphqlUrl, '{ _service { sdl } }', { dispatcher: running.stack.dispatcherAs('gateway') });
    expect(result.data!._service.sdl).toMatch(expected);
  });

  it('resolves many entities in one _entities call, in the order asked, across subgraphs', async () => {
    const { riderId } = await riderWithFunds(running.clients);
    const bikes = [await newBike(running.clients), await newBike(running.clients)];
    const { ride } = await running.clients.ride.startRide({ riderId, bikeId: bikes[0].id, idempotencyKey: randomUUID() });
    const dispatcher = running.stack.dispatcherAs('gateway');
    const asRider = { dispatcher, headers: { [RIDER_ID_HEADER]: riderId } };

    // Bikes are keyed by their own id; inventory shows them (under that id) to the ops scope.
    const bikeEntities = await graphql(
      running.stack.service('inventory').graphqlUrl,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Bike { id status } } }',
      { dispatcher, headers: { [SCOPES_HEADER]: 'ops' }, variables: { r: [{ __typename: 'Bike', fleetId: bikes[1].id }, { __typename: 'Bike', fleetId: bikes[0].id }] } },
    );
    expect(bikeEntities.data!._entities).toEqual([
      { id: bikes[1].id, status: 'AVAILABLE' },
      { id: bikes[0].id, status: 'IN_RIDE' },
    ]);

    const userEntities = await graphql(
      running.stack.service('user').graphqlUrl,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id verified } } }',
      { dispatcher, variables: { r: [{ __typename: 'User', id: riderId }] } },
    );
    expect(userEntities.data!._entities).toEqual([{ id: riderId, verified: true }]);

    const charges = await graphql(
      running.stack.service('payment').graphqlUrl,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Ride { charge { status held { amountMinor } } } ... on User { wallet { held { amountMinor } } } } }',
      { ...asRider, variables: { r: [{ __typename: 'Ride', id: ride!.id, holdKey: ride!.holdKey }, { __typename: 'User', id: riderId }] } },
    );
    expect(charges.data!._entities).toEqual([{ charge: { status: 'HELD', held: { amountMinor: 850 } } }, { wallet: { held: { amountMinor: 850 } } }]);

    const rides = await graphql(
      running.stack.service('ride').graphqlUrl,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Ride { id status bike { fleetId } } } }',
      { ...asRider, variables: { r: [{ __typename: 'Ride', id: ride!.id }] } },
    );
    expect(rides.data!._entities).toEqual([{ id: ride!.id, status: 'ACTIVE', bike: { fleetId: bikes[0].id } }]);
  });

  it('answers only the gateway: another workload, or no certificate at all, is refused', async () => {
    const asRide = await graphql(running.stack.service('payment').graphqlUrl, '{ _service { sdl } }', { dispatcher: running.stack.dispatcherAs('ride') });
    expect([asRide.status, asRide.errors![0].extensions!.code, asRide.errors![0].message]).toEqual([403, 'FORBIDDEN', 'ride may not query this subgraph; only the gateway may']);
    // Trusting the mesh CA but showing no certificate: the TLS handshake itself is refused.
    const { ca } = testCredentials('operator').tls!;
    const anonymous = new Agent({ connect: { ca, servername: 'localhost' } });
    const refused = await graphql(running.stack.service('payment').graphqlUrl, '{ _service { sdl } }', { dispatcher: anonymous }).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(TypeError);
    // The server hangs up after the handshake (TLS 1.3 sends its alert late): undici says the socket closed.
    expect(['UND_ERR_SOCKET', 'ECONNRESET']).toContain(((refused as Error).cause as NodeJS.ErrnoException).code);
    await anonymous.close();
  });

  it('refuses another rider\'s wallet even when asked for the entity directly', async () => {
    const { riderId } = await riderWithFunds(running.clients);
    const result = await graphql(
      running.stack.service('payment').graphqlUrl,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { wallet { held { amountMinor } } } } }',
      { dispatcher: running.stack.dispatcherAs('gateway'), headers: { [RIDER_ID_HEADER]: randomUUID() }, variables: { r: [{ __typename: 'User', id: riderId }] } },
    );
    expect(result.errors![0].extensions!.code).toBe('FORBIDDEN');
  });
});
