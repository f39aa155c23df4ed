// `npm run certs`: makes the development CA and a certificate per workload for local mesh mode, in
// MESH_CERTS_DIR (default $DATA_DIR/mesh-certs, so .data/mesh-certs). Keeps what exists; delete the
// folder to start a new CA. `npm start` does the same when they are missing.
import { join, resolve } from 'node:path';
import { ensureMeshCertificates, MESH_IDENTITIES } from './certificates';

const dir = resolve(process.env.MESH_CERTS_DIR ?? join(process.env.DATA_DIR ?? '.data', 'mesh-certs'));
ensureMeshCertificates(dir).then(
  () => console.log(`mesh certificates for ${MESH_IDENTITIES.join(', ')} are in ${dir}`),
  (error: unknown) => {
    console.error('could not make the mesh certificates:', error);
    process.exit(1);
  },
);
