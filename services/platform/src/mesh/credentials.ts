// How a process talks gRPC in each mesh mode. "local" (the default without Istio): mutual TLS with
// the development CA's certificates, servers demand a client certificate, and the caller's identity
// is read from it. "istio": plaintext inside the pod; the sidecar does mTLS and authorization.
import { X509Certificate } from 'node:crypto';
import { lazyGauge } from '../telemetry/tracing';
import { isIP } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

const recordCertificateExpiry = lazyGauge('mesh.certificate.expiry', 'When the mesh certificate this workload uses stops being valid (Unix time), by certificate (workload, ca)', 's');
import { readWorkloadCertificate } from './certificates';

export type MeshMode = 'local' | 'istio';

export interface MeshSettings {
  mode: MeshMode;
  /** Where the local mode's certificates are. */
  certsDir: string;
  /** This process's identity: its workload name, or `operator` for back-office tools. */
  identity: string;
}

export interface MeshCredentials {
  mode: MeshMode;
  server: ServerCredentials;
  client: ChannelCredentials;
  /** The PEMs behind the credentials, in local mode, for HTTPS between the gateway and subgraphs. */
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
}

export function meshCredentials(settings: MeshSettings): MeshCredentials {
  if (settings.mode === 'istio') {
    return { mode: 'istio', server: ServerCredentials.createInsecure(), client: credentials.createInsecure() };
  }
  const { ca, cert, key } = readWorkloadCertificate(settings.certsDir, settings.identity);
  // mesh_certificate_expiry_seconds: when this workload's certificate and its CA stop being valid
  // (the near-expiry alert); under Istio, istiod and the sidecars export their own.
  recordCertificateExpiry(new X509Certificate(cert).validToDate.getTime() / 1000, { identity: settings.identity, certificate: 'workload' });
  recordCertificateExpiry(new X509Certificate(ca).validToDate.getTime() / 1000, { identity: settings.identity, certificate: 'ca' });
  return {
    mode: 'local',
    server: ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true),
    client: credentials.createSsl(ca, key, cert),
    tls: { ca, cert, key },
  };
}

const SPIFFE = /URI:spiffe:\/\/cluster\.local\/ns\/[^/]+\/sa\/([^,\s]+)/;

/** The workload a client certificate names (its SPIFFE id), or undefined. */
export function identityOf(certificate: PeerCertificate | undefined): string | undefined {
  const match = SPIFFE.exec(certificate?.subjectaltname ?? '');
  return match?.[1];
}

/**
 * Channel options a TLS client needs: TLS names a server by host name, never by IP (RFC 6066), and
 * the mesh's certificates name localhost. Only credentials with the mesh's PEMs speak TLS (local
 * mode); under Istio the sidecar does.
 */
export function channelOptionsFor(mesh: MeshCredentials, address: string): Record<string, string> {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return mesh.tls && isIP(host) ? { 'grpc.ssl_target_name_override': 'localhost' } : {};
}

/** Options of an HTTPS server that demands a client certificate from the mesh CA (local mode). */
export function httpsServerOptions(mesh: MeshCredentials): { ca: Buffer; cert: Buffer; key: Buffer; requestCert: true; rejectUnauthorized: true } | undefined {
  return mesh.tls && { ...mesh.tls, requestCert: true, rejectUnauthorized: true };
}
