// The production bus's decentralised auth (NATS operator mode, `full` resolver), in one place: the
// operator, the system account and the application account (where the TELEMATICS stream lives),
// each with a signing key; what every NATS user may do (each workload, the people on call, each
// bike); and the server's resolver config. `npm run nats:accounts` (tools/nats-accounts.ts) writes
// them out; the device registry's issuer mints bikes with the same permissions.
//
// Traps seen on nats-server 2.9 (../shared/STACK-NOTES.md): an account JWT's missing limit means 0,
// so the application account sets every limit to -1 (unlimited); the system account must have no
// JetStream; a scoped signing key's template ignores allowed_connection_types before 2.10.19, so
// users are signed by a plain signing key with explicit permissions.
import { decode, encodeAccount, encodeOperator, encodeUser, fmtCreds, type Account, type User } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { DURABLE, OPERATOR_SUBJECT, READINGS_SUBJECTS, STREAM, bikeSubject, inboxPrefixOf } from '../doors/telematics-bus';
import { readingsTopic } from '../doors/mqtt-topics';

export const APPLICATION_ACCOUNT = 'ECOWHEELS';
export const SYSTEM_ACCOUNT = 'SYS';

/** Every NATS user the deployment has besides the bikes, and the account each belongs to. */
export const BUS_USERS = ['telematics-processor', 'telematics-edge', 'telematics-api', 'telematics-all', 'operator', 'device-registry'] as const;
export type BusUserName = (typeof BUS_USERS)[number];

/** The seeds of everything this deployment signs with: keep them offline, apart from the workloads' own. */
export interface AccountKeys {
  operator: string;
  operatorSigning: string;
  system: string;
  systemSigning: string;
  application: string;
  applicationSigning: string;
}

const seedOf = (pair: KeyPair) => new TextDecoder().decode(pair.getSeed());
const pair = (seed: string) => fromSeed(new TextEncoder().encode(seed));
export const publicKeyOf = (seed: string) => pair(seed).getPublicKey();

export function createAccountKeys(): AccountKeys {
  return {
    operator: seedOf(createOperator()),
    operatorSigning: seedOf(createOperator()),
    system: seedOf(createAccount()),
    systemSigning: seedOf(createAccount()),
    application: seedOf(createAccount()),
    applicationSigning: seedOf(createAccount()),
  };
}

const STREAM_API = ['INFO', 'CREATE', 'UPDATE'].map((verb) => `$JS.API.STREAM.${verb}.${STREAM}`);

/**
 * What each user may publish (subscribing is limited to its own inbox): the least each needs.
 * - processor: make the stream and its durable consumer when missing, fetch and acknowledge; it
 *   publishes no reading, so it cannot pose as a bike;
 * - edge: publish what the HTTPS door and the gRPC stream take in (bikes' subjects and the operator
 *   subject), and make the stream when missing; it consumes nothing;
 * - api: its gRPC stream publishes to the operator subject;
 * - all (one process in every role: a small site, or the tests): the three above together;
 * - operator (people on call): look at streams, consumers and messages, and back-fill as the operator;
 * - device-registry (system account): push the account JWT, and hear of refused logins.
 */
const PUBLISH: Record<Exclude<BusUserName, 'telematics-all'>, string[]> = {
  'telematics-processor': [
    '$JS.API.INFO',
    ...STREAM_API,
    `$JS.API.CONSUMER.INFO.${STREAM}.${DURABLE}`,
    `$JS.API.CONSUMER.CREATE.${STREAM}.${DURABLE}`,
    `$JS.API.CONSUMER.CREATE.${STREAM}.${DURABLE}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${STREAM}.${DURABLE}`,
    `$JS.API.CONSUMER.MSG.NEXT.${STREAM}.${DURABLE}`,
    `$JS.ACK.${STREAM}.${DURABLE}.>`,
  ],
  'telematics-edge': ['$JS.API.INFO', ...STREAM_API, READINGS_SUBJECTS, OPERATOR_SUBJECT],
  'telematics-api': ['$JS.API.INFO', ...STREAM_API, OPERATOR_SUBJECT],
  operator: [
    '$JS.API.INFO',
    '$JS.API.STREAM.NAMES',
    '$JS.API.STREAM.LIST',
    '$JS.API.STREAM.INFO.*',
    '$JS.API.STREAM.MSG.GET.*',
    '$JS.API.CONSUMER.NAMES.*',
    '$JS.API.CONSUMER.LIST.*',
    '$JS.API.CONSUMER.INFO.*.*',
    OPERATOR_SUBJECT,
  ],
  'device-registry': ['$SYS.REQ.CLAIMS.UPDATE', '$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE'],
};

const publishRights = (name: BusUserName): string[] =>
  name === 'telematics-all' ? [...new Set([...PUBLISH['telematics-processor'], ...PUBLISH['telematics-edge'], ...PUBLISH['telematics-api']])] : PUBLISH[name];

/** The system account's event on a refused login (the server's client info, with a reason). */
export const AUTH_ERROR_EVENTS = '$SYS.SERVER.*.CLIENT.AUTH.ERR';

function workloadUser(name: BusUserName): Partial<User> {
  const subscribe = [`${inboxPrefixOf(name)}.>`, ...(name === 'device-registry' ? [AUTH_ERROR_EVENTS] : [])];
  return { pub: { allow: publishRights(name) }, sub: { allow: subscribe }, allowed_connection_types: ['STANDARD'] };
}

/** A bike: publish its own readings, over MQTT only, subscribe to nothing; the JWT alone is enough (bearer). */
export function deviceUser(bikeId: string): Partial<User> {
  return {
    pub: { allow: [bikeSubject(bikeId)] },
    sub: { deny: ['>'] },
    allowed_connection_types: ['MQTT'],
    bearer_token: true,
  };
}

/** The application account's claims: no limits (a missing one means none allowed), JetStream on. */
export function applicationAccountClaims(keys: Pick<AccountKeys, 'applicationSigning'>, revocations: Record<string, number> = {}): Partial<Account> {
  return {
    limits: {
      subs: -1,
      data: -1,
      payload: -1,
      imports: -1,
      exports: -1,
      wildcards: true,
      conn: -1,
      leaf: -1,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
    signing_keys: [publicKeyOf(keys.applicationSigning)],
    revocations,
  };
}

export async function applicationAccountJwt(keys: AccountKeys, revocations: Record<string, number> = {}): Promise<string> {
  return encodeAccount(APPLICATION_ACCOUNT, publicKeyOf(keys.application), applicationAccountClaims(keys, revocations), { signer: pair(keys.operatorSigning) });
}

export async function systemAccountJwt(keys: AccountKeys): Promise<string> {
  return encodeAccount(
    SYSTEM_ACCOUNT,
    publicKeyOf(keys.system),
    { limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 }, signing_keys: [publicKeyOf(keys.systemSigning)] },
    { signer: pair(keys.operatorSigning) },
  );
}

export async function operatorJwt(keys: AccountKeys): Promise<string> {
  return encodeOperator('ecowheels', pair(keys.operator), { signing_keys: [publicKeyOf(keys.operatorSigning)], system_account: publicKeyOf(keys.system) });
}

/** A .creds file (user JWT and seed) for one of the deployment's users; no expiry: rerun the command to replace it. */
export async function userCreds(keys: AccountKeys, name: BusUserName): Promise<string> {
  const system = name === 'device-registry';
  const user = createUser();
  const jwt = await encodeUser(name, user, publicKeyOf(system ? keys.system : keys.application), workloadUser(name), {
    signer: pair(system ? keys.systemSigning : keys.applicationSigning),
  });
  return new TextDecoder().decode(fmtCreds(jwt, user));
}

/** Mints a bike's user JWT, signed by the application account's signing key. */
export async function deviceUserJwt(
  signer: { account: string; signingKey: string },
  bikeId: string,
  expiresAt: Date,
): Promise<{ key: string; jwt: string; topic: string }> {
  const key = createUser().getPublicKey(); // a bearer JWT: the bike never needs the seed
  const jwt = await encodeUser(`bike-${bikeId}`, key, signer.account, deviceUser(bikeId), {
    signer: pair(signer.signingKey),
    exp: Math.floor(expiresAt.getTime() / 1000),
  });
  return { key, jwt, topic: readingsTopic(bikeId) };
}

/** The application account's JWT again, with this revocation list, signed by the operator's signing key. */
export async function revokedAccountJwt(signer: { operatorSigningKey: string; accountJwt: string }, revocations: Record<string, number>): Promise<string> {
  const claims = decode<Account>(signer.accountJwt);
  const { type: _type, version: _version, ...account } = claims.nats;
  return encodeAccount(claims.name, claims.sub, { ...account, revocations }, { signer: pair(signer.operatorSigningKey) });
}

/** The NATS servers' operator-mode settings, to include in their config. */
export async function resolverConfig(keys: AccountKeys, resolverDir: string): Promise<string> {
  return [
    '# Generated by `npm run nats:accounts`: operator mode with the full resolver (decentralised JWT auth).',
    `operator: ${await operatorJwt(keys)}`,
    `system_account: ${publicKeyOf(keys.system)}`,
    // The accounts' JWTs live in this folder; the device registry pushes updates (revocations) at run time.
    `resolver: { type: full, dir: ${JSON.stringify(resolverDir)}, allow_delete: false, interval: "2m" }`,
    'resolver_preload: {',
    `  ${publicKeyOf(keys.system)}: ${await systemAccountJwt(keys)}`,
    `  ${publicKeyOf(keys.application)}: ${await applicationAccountJwt(keys)}`,
    '}',
    '',
  ].join('\n');
}
