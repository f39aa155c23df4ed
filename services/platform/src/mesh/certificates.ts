// The development CA and the per-workload certificates of local mesh mode: what Istio's CA gives
// each workload in a cluster, made here on first start (or by `npm run certs`). Each certificate
// names its workload the way Istio does, as a SPIFFE id in the SAN, and is valid for loopback.
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NAMES } from '../service-names';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const MESH_NAMESPACE = 'ecowheels';
export const spiffeIdOf = (workload: string) => `spiffe://cluster.local/ns/${MESH_NAMESPACE}/sa/${workload}`;

/** Every identity local mesh mode knows: the six workloads and the back-office `operator`. */
export const MESH_IDENTITIES = [...SERVICE_NAMES, 'gateway', 'operator'] as const;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const VALID_DAYS = 365;

export interface WorkloadCertificate {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const pemKey = async (key: CryptoKey) =>
  `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
}

/** Makes the CA and any missing workload certificate in dir; keeps what is already there. */
export async function ensureMeshCertificates(dir: string, identities: readonly string[] = MESH_IDENTITIES): Promise<void> {
  // Loaded here, not with the module: only the launcher and `npm run certs` make certificates, and
  // the library costs every workload about 0.1 s of CPU at start to load for nothing.
  // @peculiar/x509 resolves its parts with tsyringe, which needs the Reflect metadata polyfill first.
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('reflect-metadata');
  const x509 = require('@peculiar/x509') as typeof import('@peculiar/x509');
  /* eslint-enable @typescript-eslint/no-require-imports */
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + VALID_DAYS * 24 * 3600 * 1000);
  const caCertFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca-key.pem');
  // A new CA invalidates every certificate the old one signed: they are all made again.
  const newCa = !existsSync(caCertFile) || !existsSync(caKeyFile);
  if (newCa) {
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: Date.now().toString(16),
      name: 'CN=EcoWheels development mesh CA',
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    writeFileSync(caKeyFile, await pemKey(keys.privateKey), { mode: 0o600 });
    writeFileSync(caCertFile, ca.toString('pem'));
  }
  const ca = new x509.X509Certificate(readFileSync(caCertFile, 'utf8'));
  const caKey = await importKey(readFileSync(caKeyFile, 'utf8'));
  for (const identity of identities) {
    if (!newCa && existsSync(join(dir, `${identity}.pem`)) && existsSync(join(dir, `${identity}-key.pem`))) continue;
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: `${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
      subject: `CN=${identity}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingKey: caKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: spiffeIdOf(identity) },
          { type: 'dns', value: 'localhost' },
          { type: 'dns', value: identity },
          { type: 'ip', value: '127.0.0.1' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    writeFileSync(join(dir, `${identity}-key.pem`), await pemKey(keys.privateKey), { mode: 0o600 });
    writeFileSync(join(dir, `${identity}.pem`), cert.toString('pem'));
  }
}

/** A workload's certificate, key and the CA, as gRPC's TLS credentials want them. */
export function readWorkloadCertificate(dir: string, identity: string): WorkloadCertificate {
  const file = (name: string) => {
    const path = join(dir, name);
    if (!existsSync(path)) {
      throw new Error(`mesh certificate ${path} is missing: run \`npm run certs\` (npm start makes them too), or set MESH_MODE=istio`);
    }
    return readFileSync(path);
  };
  return { ca: file('ca.pem'), cert: file(`${identity}.pem`), key: file(`${identity}-key.pem`) };
}
