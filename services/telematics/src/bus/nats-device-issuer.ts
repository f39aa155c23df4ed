// The device registry's side of the production bus (NATS in operator mode, full resolver): it mints
// each bike's NATS user with the application account's signing key, and pushes the account's JWT,
// re-signed with the operator's signing key and carrying the revocation list, to
// $SYS.REQ.CLAIMS.UPDATE as the system account's device-registry user. Every server takes the new
// JWT at once and drops the revoked users' connections: no reload, no file on the servers.
//
// The same system user hears of every refused login ($SYS.SERVER.<id>.CLIENT.AUTH.ERR), which is
// counted as telematics_devices_refused_total{door="nats"} and logged: the servers refuse bikes
// themselves, so this is the only place the service sees it. A queue group makes each event
// counted once, however many API replicas listen.
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Logger } from '../../../platform/src/logger';
import type { BusCredential, BusUser, DeviceBusIssuer } from '../domain/device-registry';
import { closeBus, inboxPrefixOf } from '../doors/telematics-bus';
import { AUTH_ERROR_EVENTS, deviceUserJwt, revokedAccountJwt } from './nats-accounts';

/** What `npm run nats:accounts` writes to telematics/device-issuer.json (a Secret in production). */
export interface DeviceIssuerSecrets {
  /** The application account's public key (A...): the issuer of every bike's user. */
  account: string;
  /** The application account's signing key (seed): signs the bikes' user JWTs. */
  accountSigningKey: string;
  /** An operator signing key (seed): re-signs the account JWT with its revocation list. */
  operatorSigningKey: string;
  /** The application account's JWT as the command made it: the claims every push keeps. */
  accountJwt: string;
  /** The system account's device-registry user (.creds text): pushes claims, hears refused logins. */
  registryCreds: string;
}

/**
 * A push waits this long for a server's answer, this many times (a request sent while the client
 * reconnects to another server can be lost; pushing the same JWT again is harmless): within the
 * RevokeDevice deadline of mesh-config/policy.ts.
 */
const PUSH_ATTEMPT_MS = 1500;
const PUSH_ATTEMPTS = 3;

/** A refused login as the server reports it. Its client info carries the credential as sent: never log it whole. */
interface AuthErrorEvent {
  client?: { host?: string; client_type?: string; client_id?: string; jwt?: string; user?: string };
  reason?: string;
}

/**
 * telematics_devices_refused_total's reason: the server says only "Authentication Failure", so the
 * credential the client sent (an MQTT password, or a token) is read here, without trusting it.
 */
export function refusalReason(event: AuthErrorEvent, revoked: ReadonlySet<string>, now = Date.now()): 'expired' | 'revoked' | 'bad_credentials' {
  const sent = event.client?.jwt || event.client?.user || '';
  try {
    const claims = JSON.parse(Buffer.from(sent.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string; exp?: number };
    if (claims.sub && revoked.has(claims.sub)) return 'revoked';
    if (claims.exp && claims.exp * 1000 <= now) return 'expired';
  } catch {
    // not a JWT at all
  }
  return 'bad_credentials';
}

export class NatsDeviceIssuer implements DeviceBusIssuer {
  private constructor(
    private readonly secrets: DeviceIssuerSecrets,
    private readonly nc: NatsConnection,
    private readonly settings: { ttlMs: number; mqttUrl?: string },
  ) {}

  private refusals?: Subscription;
  /** The users on the list last pushed: a refused login with one of them is counted as `revoked`. */
  private revoked = new Set<string>();

  static async open(options: {
    url: string;
    file: string;
    ttlMs: number;
    mqttUrl?: string;
    logger: Logger;
    onRefused: (reason: string) => void;
  }): Promise<NatsDeviceIssuer> {
    const secrets = JSON.parse(readFileSync(options.file, 'utf8')) as DeviceIssuerSecrets;
    const nc: NatsConnection = await connect({
      servers: options.url,
      name: 'telematics-device-registry',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      authenticator: credsAuthenticator(new TextEncoder().encode(secrets.registryCreds)),
      inboxPrefix: inboxPrefixOf('device-registry'),
    });
    const issuer: NatsDeviceIssuer = new NatsDeviceIssuer(secrets, nc, { ttlMs: options.ttlMs, mqttUrl: options.mqttUrl });
    issuer.refusals = nc.subscribe(AUTH_ERROR_EVENTS, {
      queue: 'telematics-device-refusals',
      callback: (error, message) => {
        if (error) return;
        const event = message.json<AuthErrorEvent>();
        const reason = refusalReason(event, issuer.revoked);
        options.onRefused(reason);
        const { host, client_type: type, client_id: clientId } = event.client ?? {};
        options.logger.warn({ door: 'nats', reason, host, type, clientId }, 'a login to the bus was refused');
      },
    });
    return issuer;
  }

  async mint(bikeId: string): Promise<BusCredential> {
    const expiresAt = new Date(Date.now() + this.settings.ttlMs);
    const { key, jwt, topic } = await deviceUserJwt({ account: this.secrets.account, signingKey: this.secrets.accountSigningKey }, bikeId, expiresAt);
    return { key, jwt, expiresAt, topic, clientId: `bike-${bikeId}`, url: this.settings.mqttUrl };
  }

  async publishRevocations(revoked: readonly BusUser[]): Promise<void> {
    // Each key is minted once, so revoking every JWT it signed up to its expiry revokes it for good.
    this.revoked = new Set(revoked.map((user) => user.key));
    const revocations = Object.fromEntries(revoked.map((user) => [user.key, Math.ceil(user.expiresAt.getTime() / 1000)]));
    const jwt = await revokedAccountJwt({ operatorSigningKey: this.secrets.operatorSigningKey, accountJwt: this.secrets.accountJwt }, revocations);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const reply = await this.nc.request('$SYS.REQ.CLAIMS.UPDATE', jwt, { timeout: PUSH_ATTEMPT_MS });
        const answer = reply.json<{ error?: { code?: number; description?: string } }>();
        if (answer.error) throw new Error(`NATS refused the account's revocation list: ${answer.error.description ?? JSON.stringify(answer.error)}`);
        return;
      } catch (error) {
        if (attempt >= PUSH_ATTEMPTS || (error as Error).message.startsWith('NATS refused')) throw error;
      }
    }
  }

  async close(): Promise<void> {
    this.refusals?.unsubscribe();
    await closeBus(this.nc);
  }
}
