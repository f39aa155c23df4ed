// Calls telematics' Ingest as another workload of the mesh, to show the policy refuses it.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { TelematicsServiceClient } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { channelOptionsFor, meshCredentials } from '../../services/platform/src/mesh/credentials';
import { TEST_ENV } from './stack';
import type { TelematicsUnderTest } from './telematics';

export function ingestAs(telematics: TelematicsUnderTest, identity: string): Promise<unknown> {
  const mesh = meshCredentials({ mode: 'local', certsDir: TEST_ENV.MESH_CERTS_DIR, identity });
  const client = new TelematicsServiceClient(telematics.service.address, mesh.client, channelOptionsFor(mesh, telematics.service.address));
  return new Promise((resolve, reject) => {
    const call = client.ingest(new Metadata(), { deadline: Date.now() + 10_000 }, (error: ServiceError | null, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
    call.write({ readings: [] });
    call.end();
  });
}
