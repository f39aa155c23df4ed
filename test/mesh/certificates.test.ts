// The development CA of local mesh mode: one certificate per workload, naming it as Istio would,
// kept across starts, and all made again when the CA is.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMeshCertificates, MESH_IDENTITIES } from '../../services/platform/src/mesh/certificates';

describe('mesh certificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecowheels-certs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = (name: string) => new X509Certificate(readFileSync(join(dir, `${name}.pem`)));

  it('issues every workload a certificate from the CA, naming it by SPIFFE id, valid for loopback', async () => {
    await ensureMeshCertificates(dir);
    const ca = read('ca');
    for (const identity of MESH_IDENTITIES) {
      const certificate = read(identity);
      expect(certificate.verify(ca.publicKey)).toBe(true);
      expect(certificate.subjectAltName).toContain(`URI:spiffe://cluster.local/ns/ecowheels/sa/${identity}`);
      expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(certificate.checkHost('localhost')).toBe('localhost');
    }
  });

  it('keeps what exists on the next start, and remakes every certificate with a new CA', async () => {
    const before = read('ride').fingerprint256;
    await ensureMeshCertificates(dir);
    expect(read('ride').fingerprint256).toBe(before);
    rmSync(join(dir, 'ca-key.pem'));
    await ensureMeshCertificates(dir);
    expect(read('ride').fingerprint256).not.toBe(before);
    expect(read('ride').verify(read('ca').publicKey)).toBe(true);
  });
});
