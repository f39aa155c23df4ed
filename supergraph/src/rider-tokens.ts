// Rider bearer tokens: EdDSA JWTs issued by the user service. The gateway checks signature, issuer,
// audience and expiry itself, with the public keys the user service publishes (fetched once, and
// again when a token names a key it does not know, so key rotation needs no restart).
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import { LRUCache } from 'lru-cache';
import { UserServiceClient, UserServiceService } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';
import { createClient } from '../../services/platform/src/grpc/client';
import type { MeshCredentials } from '../../services/platform/src/mesh/credentials';
import { EdgeError } from './gateway-errors';

interface Verifier {
  keys: ReturnType<typeof createLocalJWKSet>;
  issuer: string;
  audience: string;
  fetchedAt: number;
  /**
   * Tokens these keys have verified, by their text, with the rider each names. An app sends the
   * same token with every request until it expires, and checking its EdDSA signature each time was
   * about 5% of the gateway's CPU under the apps' loads (docs/performance.md). Only a token that
   * passed is kept, until its own expiry; the keys fetched again come with an empty cache, so a key
   * withdrawn from the user service's set stops counting as soon as the gateway has the new set.
   */
  verified: LRUCache<string, { riderId: string; expiresAtMs: number }>;
}

/** How many verified tokens the gateway remembers (a token is about 300 bytes). */
const MAX_VERIFIED_TOKENS = 10_000;

const REFETCH_AFTER_MS = 60_000;

export class RiderTokenCheck {
  private verifier?: Promise<Verifier>;
  private readonly users;

  constructor(userServiceAddress: string, mesh: MeshCredentials) {
    this.users = createClient(UserServiceClient, UserServiceService, { address: userServiceAddress, defaultDeadlineMs: 2000, peerName: 'user', mesh });
  }

  /** The rider id of a valid `Authorization: Bearer` token; undefined when there is no token. */
  async riderOf(authorization: string | undefined): Promise<string | undefined> {
    if (!authorization) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new EdgeError('UNAUTHENTICATED', 401, 'the Authorization header must be "Bearer <token>"');
    try {
      return await this.verify(match[1], false);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey) return this.verify(match[1], true).catch(rejectToken);
      return rejectToken(error);
    }
  }

  private async verify(token: string, refresh: boolean): Promise<string> {
    const verifier = await this.loadVerifier(refresh);
    // The cache's own expiry counts on a monotonic clock; the token's is wall-clock time, as jose
    // reads it, so a clock set forward ends a remembered token as it ends a verified one.
    const known = verifier.verified.get(token);
    if (known && Date.now() < known.expiresAtMs) return known.riderId;
    const { payload } = await jwtVerify(token, verifier.keys, { issuer: verifier.issuer, audience: verifier.audience, algorithms: ['EdDSA'] });
    if (!payload.sub) throw new EdgeError('UNAUTHENTICATED', 401, 'the token names no rider');
    // A token without an expiry is checked every time: there is no moment to forget it at.
    const expiresAtMs = (payload.exp ?? 0) * 1000;
    const msLeft = expiresAtMs - Date.now();
    if (msLeft > 0) verifier.verified.set(token, { riderId: payload.sub, expiresAtMs }, { ttl: msLeft });
    return payload.sub;
  }

  private async loadVerifier(refresh: boolean): Promise<Verifier> {
    try {
      if (this.verifier && refresh && Date.now() - (await this.verifier).fetchedAt > REFETCH_AFTER_MS) this.verifier = undefined;
      this.verifier ??= this.fetchVerifier();
      return await this.verifier;
    } catch {
      this.verifier = undefined;
      throw new EdgeError('SERVICE_UNAVAILABLE', 503, 'rider tokens cannot be checked right now; retry shortly');
    }
  }

  private async fetchVerifier(): Promise<Verifier> {
    const answer = await this.users.getTokenVerificationKeys({});
    return {
      keys: createLocalJWKSet(JSON.parse(answer.jwksJson) as JSONWebKeySet),
      issuer: answer.issuer,
      audience: answer.audience,
      fetchedAt: Date.now(),
      verified: new LRUCache({ max: MAX_VERIFIED_TOKENS }),
    };
  }

  close(): void {
    this.users.close();
  }
}

function rejectToken(error: unknown): never {
  if (error instanceof EdgeError) throw error;
  if (error instanceof joseErrors.JWTExpired) throw new EdgeError('UNAUTHENTICATED', 401, 'the token has expired; log in again');
  throw new EdgeError('UNAUTHENTICATED', 401, 'the token is not valid; log in again');
}
