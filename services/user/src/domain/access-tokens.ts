// Rider access tokens: JWTs signed with an Ed25519 key (EdDSA). Only the user service holds the
// private key; verifiers (the gateway) fetch the public half as a JWKS and check signature, issuer,
// audience and expiry themselves.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

export class AccessTokenIssuer {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicJwk: JWK & { kid: string },
    readonly settings: TokenSettings,
  ) {}

  static async fromPem(privateKeyPem: string, settings: TokenSettings): Promise<AccessTokenIssuer> {
    const privateKey = createPrivateKey(privateKeyPem);
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new Error(`token signing key must be an Ed25519 private key, got ${privateKey.asymmetricKeyType}`);
    }
    const jwk = await exportJWK(createPublicKey(privateKey));
    const kid = await calculateJwkThumbprint(jwk);
    return new AccessTokenIssuer(privateKey, { ...jwk, kid, alg: 'EdDSA', use: 'sig' }, settings);
  }

  async issue(riderId: string, now = new Date()): Promise<IssuedToken> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + this.settings.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: this.publicJwk.kid, typ: 'JWT' })
      .setSubject(riderId)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.privateKey);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The public keys as a JSON Web Key Set. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }
}

export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
