// The subgraphs the supergraph is composed from: one per service, named as the service, with its
// schema file and where the gateway finds it by default (its URL is <NAME>_SUBGRAPH_URL).
import { join } from 'node:path';
import { DEFAULT_PORTS } from '../../services/platform/src/config';

const SERVICES = join(__dirname, '..', '..', 'services');

export const SUBGRAPHS = [
  { name: 'user', schemaFile: join(SERVICES, 'user/src/graphql/schema.graphql'), defaultUrl: `http://127.0.0.1:${DEFAULT_PORTS.user.http}/graphql` },
  { name: 'inventory', schemaFile: join(SERVICES, 'inventory/src/graphql/schema.graphql'), defaultUrl: `http://127.0.0.1:${DEFAULT_PORTS.inventory.http}/graphql` },
  { name: 'ride', schemaFile: join(SERVICES, 'ride/src/graphql/schema.graphql'), defaultUrl: `http://127.0.0.1:${DEFAULT_PORTS.ride.http}/graphql` },
  { name: 'payment', schemaFile: join(SERVICES, 'payment/src/graphql/schema.graphql'), defaultUrl: `http://127.0.0.1:${DEFAULT_PORTS.payment.http}/graphql` },
  { name: 'telematics', schemaFile: join(SERVICES, 'telematics/src/graphql/schema.graphql'), defaultUrl: `http://127.0.0.1:${DEFAULT_PORTS.telematics.http}/graphql` },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

export const SUPERGRAPH_FILE = join(__dirname, '..', 'supergraph.graphql');

/** The API schema as last released; breaking changes are measured against it. */
export const API_BASELINE_FILE = join(__dirname, '..', 'api-schema-baseline.graphql');
/** Breaking changes made on purpose, each with why. */
export const DELIBERATE_CHANGES_FILE = join(__dirname, '..', 'deliberate-breaking-changes.json');
