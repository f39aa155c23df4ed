// The standing bad-input corpus: what a careless client or an attacker sends, against the real
// stack. Each case asserts the exact answer (HTTP status and code, or gRPC status), never "some
// error"; and after all of them, that no process crashed. The cases are grouped by door: the
// GraphQL gateway (body, headers, operations, variables, limits, APQ, trusted documents, abuse),
// gRPC (malformed bytes,
// wrong types, sizes, deadlines, unlisted callers) and the telematics device door.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { Client, Metadata, status, type ServiceDefinition } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { connect as connectTcp } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { request } from 'undici';
import { InventoryServiceService } from '../../services/platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { PaymentServiceService } from '../../services/platform/src/generated/ecowheels/payment/v1/payment_service';
import { RideServiceService } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { TelematicsServiceService } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { UserServiceService } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';
import AUTHORIZATION from '../../services/platform/src/mesh/authorization.generated.json';
import { channelOptionsFor } from '../../services/platform/src/mesh/credentials';
import type { ProcessName, ServiceName } from '../../services/local-stack/src/launched-service';
import { newRider } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { testCredentials, useTestStack } from '../support/stack';

interface HttpCase {
  name: string;
  method?: 'GET' | 'POST';
  /** Appended to the endpoint (a GET's query string). */
  query?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Expected HTTP status and error code (the first error's extensions.code). */
  status: number;
  code: string;
  /** Sent with an API key that has the ops scope. */
  ops?: boolean;
  /** Sent with an app's key (no scope), which runs only its trusted documents; the others have the developer scope. */
  app?: boolean;
}

const summary: string[] = [];

/** The request encodings the HTTP doors decode (body-parser on Node 24), each with its compressor. */
const COMPRESS: Record<string, (body: string) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync, zstd: zstdCompressSync };
const inflatesToAMegabyte = JSON.stringify({ query: `{ tariff { holdMinutes } } #${'x'.repeat(1024 * 1024)}` });

/** A zstd frame whose header asks for a 2^windowLog-byte window, then a block of JSON that never ends the frame. */
function zstdFrameWithWindowLog(windowLog: number): Buffer {
  const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
  // Frame header descriptor 0 (no content size, no checksum, no dictionary), then the window descriptor.
  const header = Buffer.from([0x00, (windowLog - 10) << 3]);
  const content = Buffer.from('{"query":"{ tariff { holdMinutes } }"}');
  const block = Buffer.alloc(3);
  block.writeUIntLE(content.length << 3, 0, 3); // a raw block, not the last one
  return Buffer.concat([magic, header, block, content]);
}
const record = (door: string, outcome: string) => summary.push(`${door}: ${outcome}`);
const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/** The corpus app's manifests: 1.0.0 is live, 0.9.0 retired (its fee query is in no live version). */
const TRUSTED = '{ tariff { holdMinutes } }';
const RETIRED = 'query Fee { tariff { unlockFee { amountMinor } } }';
const manifests = mkdtempSync(join(tmpdir(), 'ecowheels-corpus-manifests-'));
mkdirSync(join(manifests, 'corpus-app'));
const manifestOf = (...bodies: string[]) =>
  JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: bodies.map((body, n) => ({ id: hash(body), name: `Op${n}`, type: 'query', body })) });
writeFileSync(join(manifests, 'corpus-app', '1.0.0.json'), manifestOf(TRUSTED));
writeFileSync(join(manifests, 'corpus-app', '0.9.0.json'), manifestOf(TRUSTED, RETIRED));
writeFileSync(
  join(manifests, 'registry.json'),
  JSON.stringify({ apps: { 'corpus-app': { versions: { '0.9.0': { status: 'retired', publishedAt: '2026-01-01T00:00:00Z' }, '1.0.0': { status: 'live', publishedAt: '2026-06-01T00:00:00Z' } } } } }),
);

describeWithPostgres('bad input, every door', () => {
  const running = useTestStack({
    USER_LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: '3',
    USER_LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
    GATEWAY_UNKNOWN_API_KEYS_PER_MINUTE: '1000',
    GATEWAY_MAX_DEPTH: '5',
    GATEWAY_MAX_COST: '100',
    // The field corpus below posts one batch after another from one bike.
    TELEMATICS_HTTP_BATCHES_PER_SECOND: '1000',
    // As in production: apps' keys run only their trusted documents.
    GATEWAY_TRUSTED_DOCUMENTS: 'enforce',
    GATEWAY_APP_MANIFESTS_DIR: manifests,
  });
  let url: string;
  /** Free-form documents, as a developer sends them (an app's key may not). */
  let apiKey: string;
  let appKey: string;
  let opsKey: string;
  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    apiKey = (await running.clients.user.createApiClient({ name: 'Bad input corpus', scopes: ['developer'] })).apiKey;
    appKey = (await running.clients.user.createApiClient({ name: 'Bad input corpus, app', scopes: [] })).apiKey;
    opsKey = (await running.clients.user.createApiClient({ name: 'Bad input corpus, ops', scopes: ['ops'] })).apiKey;
  });
  afterAll(() => {
    const counts = new Map<string, number>();
    for (const line of summary) counts.set(line, (counts.get(line) ?? 0) + 1);
    rmSync(manifests, { recursive: true, force: true });
    console.log(`bad-input corpus: ${summary.length} cases\n  ${[...counts].map(([line, count]) => `${String(count).padStart(4)}  ${line}`).join('\n  ')}`);
  });

  // ---------------------------------------------------------------- GraphQL gateway
  const json = (value: unknown) => JSON.stringify(value);
  const query = (text: string, extra: Record<string, unknown> = {}) => json({ query: text, ...extra });
  const deep = '{ bikesNear(lat: 52, lon: 4, radiusMeters: 100) { edges { node { station { location { latitude } } } } } }';
  const wide = `{ ${Array.from({ length: 12 }, (_, n) => `t${n}: tariff { holdMinutes unlockFee { amountMinor currency } }`).join(' ')} }`;
  const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: tariff { holdMinutes }`).join(' ')} }`;
  // The range as literals: in variables it would count as the longest allowed, over this stack's cost of 100.
  const fleetImpact = (from: string, to: string, groupBy: string) =>
    query(`{ fleetImpact(from: ${JSON.stringify(from)}, to: ${JSON.stringify(to)}, groupBy: ${groupBy}) { start } }`);
  const login = (email: string, password = 'not the password') => query('mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }', { variables: { e: email, p: password } });

  const gatewayCases: HttpCase[] = [
    // Headers: the API key and the rider token.
    { name: 'no API key', headers: { 'x-api-key': '' }, body: query('{ tariff { holdMinutes } }'), status: 401, code: 'UNAUTHENTICATED' },
    ...['x', 'not-a-key', 'a'.repeat(500), 'clé', 'key with spaces', '\' OR 1=1 --', '../../etc/passwd', '%00', '{"$ne":null}', 'ew_0000000000000000'].map(
      (key): HttpCase => ({ name: `made-up API key ${JSON.stringify(key.slice(0, 20))}`, headers: { 'x-api-key': key }, body: query('{ tariff { holdMinutes } }'), status: 401, code: 'UNAUTHENTICATED' }),
    ),
    ...['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer x.y.z', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'bearer', 'Token abc', 'Bearer a b', `Bearer ${'a'.repeat(5000)}`, 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'].map(
      (authorization): HttpCase => ({ name: `bad rider token ${JSON.stringify(authorization.slice(0, 24))}`, headers: { authorization }, body: query('{ me { id } }'), status: 401, code: 'UNAUTHENTICATED' }),
    ),
    // Body: media type, charset, encoding, size, JSON.
    ...['latin1', 'iso-8859-1', 'utf-16', 'utf-16le', 'koi8-r', 'utf-7', 'bogus', 'windows-1252', 'UTF-32'].map(
      (charset): HttpCase => ({ name: `charset ${charset}`, headers: { 'content-type': `application/json; charset=${charset}` }, body: query('{ tariff { holdMinutes } }'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }),
    ),
    ...['compress', 'bogus', 'x-gzip-but-not', 'gzip, bogus'].map(
      (encoding): HttpCase => ({ name: `content-encoding ${encoding}`, headers: { 'content-encoding': encoding }, body: query('{ tariff { holdMinutes } }'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }),
    ),
    ...['gzip', 'deflate', 'br', 'zstd'].map(
      (encoding): HttpCase => ({ name: `content-encoding ${encoding} on a plain body`, headers: { 'content-encoding': encoding }, body: query('{ tariff { holdMinutes } }'), status: 400, code: 'BAD_REQUEST' }),
    ),
    { name: 'gzip body that is gzip but not JSON', headers: { 'content-encoding': 'gzip' }, body: gzipSync('not json'), status: 400, code: 'BAD_REQUEST' },
    { name: 'zstd body that is zstd but not JSON', headers: { 'content-encoding': 'zstd' }, body: zstdCompressSync('not json'), status: 400, code: 'BAD_REQUEST' },
    // Every encoding is decoded under the same limit, counted after decoding: a few kilobytes that
    // inflate to a megabyte are too large, as the megabyte itself is.
    ...Object.entries(COMPRESS).map(
      ([encoding, compress]): HttpCase => ({ name: `${encoding} body that decodes past the size limit`, headers: { 'content-encoding': encoding }, body: compress(inflatesToAMegabyte), status: 413, code: 'PAYLOAD_TOO_LARGE' }),
    ),
    // zstd lets a sender ask for a window of up to 2 GB; the decoder refuses more than 128 MB.
    { name: 'zstd frame that asks for a 256 MB window', headers: { 'content-encoding': 'zstd' }, body: zstdFrameWithWindowLog(28), status: 400, code: 'BAD_REQUEST' },
    ...['{', '{"query":', '{"query": "{ tariff }"', 'nul\u0000l', '{"query": undefined}', "{'query': 1}", '[1,', '"unterminated', '{"a":1,}', '\u0000'].map(
      (body): HttpCase => ({ name: `invalid JSON ${JSON.stringify(body)}`, body, status: 400, code: 'BAD_REQUEST' }),
    ),
    { name: 'body over the size limit', body: query(`{ tariff { holdMinutes } } #${'x'.repeat(70 * 1024)}`), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    ...[json(null), json(42), json('a string'), json(true), json([])].map((body): HttpCase => ({ name: `body ${body}`, body, status: 400, code: 'BAD_REQUEST' })),
    { name: 'a batch of operations', body: json([{ query: '{ tariff { holdMinutes } }' }, { query: '{ tariff { holdMinutes } }' }]), status: 400, code: 'BAD_REQUEST' },
    { name: 'no query', body: json({}), status: 400, code: 'BAD_REQUEST' },
    ...[42, { a: 1 }, ['{ tariff { holdMinutes } }'], true].map((value): HttpCase => ({ name: `query ${json(value)}`, body: json({ query: value }), status: 400, code: 'BAD_REQUEST' })),
    ...[42, 'a string', ['x'], true].map((value): HttpCase => ({ name: `variables ${json(value)}`, body: query('{ tariff { holdMinutes } }', { variables: value }), status: 400, code: 'BAD_REQUEST' })),
    ...[42, 'a string', ['x']].map((value): HttpCase => ({ name: `extensions ${json(value)}`, body: query('{ tariff { holdMinutes } }', { extensions: value }), status: 400, code: 'BAD_REQUEST' })),
    ...[42, ['x'], { a: 1 }].map((value): HttpCase => ({ name: `operationName ${json(value)}`, body: query('{ tariff { holdMinutes } }', { operationName: value }), status: 400, code: 'BAD_REQUEST' })),
    { name: 'text/plain body (a cross-site form post)', headers: { 'content-type': 'text/plain' }, body: query('{ tariff { holdMinutes } }'), status: 400, code: 'BAD_REQUEST' },
    // Operations.
    { name: 'unknown operationName', body: query('query A { tariff { holdMinutes } }', { operationName: 'B' }), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
    { name: 'two operations, none named', body: query('query A { tariff { holdMinutes } } query B { tariff { unlockFee { amountMinor } } }'), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
    { name: 'operationName for an anonymous operation', body: query('{ tariff { holdMinutes } }', { operationName: 'A' }), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
    { name: 'only fragments, no operation', body: query('fragment F on Tariff { holdMinutes }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'a subscription', body: query('subscription { tariff { holdMinutes } }'), status: 400, code: 'BAD_REQUEST' },
    { name: 'a content-type that does not parse', headers: { 'content-type': 'application/json; charset' }, body: query('{ tariff { holdMinutes } }'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a mutation over GET', method: 'GET', query: `?query=${encodeURIComponent('mutation { login(email: "a@b.c", password: "x") { token } }')}`, status: 405, code: 'BAD_REQUEST' },
    ...['{', '{ tariff { holdMinutes }', 'query {', '{ tariff(', '}}}', 'query Q($a: ) { tariff { holdMinutes } }', '{ "string" }', '{ tariff { holdMinutes } } extra', '# only a comment', ''].map(
      (text): HttpCase => ({ name: `syntax error ${JSON.stringify(text)}`, body: query(text), status: text === '' ? 400 : 400, code: text === '' ? 'BAD_REQUEST' : 'GRAPHQL_PARSE_FAILED' }),
    ),
    ...['{ nope }', '{ tariff { nope } }', '{ bikesNear { edges { node { id } } } }', '{ tariff }', '{ tariff { holdMinutes(x: 1) } }', 'mutation { nope }', '{ __type { name } }', '{ me { id } me: tariff { holdMinutes } }'].map(
      (text): HttpCase => ({ name: `invalid document ${JSON.stringify(text)}`, body: query(text), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' }),
    ),
    // Variables: wrong types are refused before anything runs (the gateway validates them against
    // the operation, hence a validation failure rather than Apollo Server's BAD_USER_INPUT).
    ...[
      ['lat as a string', { lat: 'north' }],
      ['lat as null', { lat: null }],
      ['lat missing', {}],
      ['radius as a float', { lat: 52, radius: 1.5 }],
      ['radius as a string', { lat: 52, radius: '100' }],
      ['lat as an object', { lat: { a: 1 } }],
      ['lat as an array', { lat: [52] }],
      ['lat as a huge number', { lat: 1e400 }],
    ].map(([name, variables]): HttpCase => ({
      name: `variable ${name as string}`,
      body: query('query ($lat: Float!, $radius: Int) { bikesNear(lat: $lat, lon: 4, radiusMeters: $radius) { edges { node { id } } } }', { variables }),
      status: 400,
      code: 'GRAPHQL_VALIDATION_FAILED',
    })),
    // Values out of range are refused by the resolver, with the field named.
    ...['lat: 91, lon: 4, radiusMeters: 100', 'lat: -91, lon: 4, radiusMeters: 100', 'lat: 52, lon: 181, radiusMeters: 100', 'lat: 52, lon: 4, radiusMeters: 0', 'lat: 52, lon: 4, radiusMeters: 50001', 'lat: 52, lon: 4, radiusMeters: 100, first: 0', 'lat: 52, lon: 4, radiusMeters: 100, first: -1', 'lat: 52, lon: 4, radiusMeters: 100, after: "not a cursor"'].map(
      (args): HttpCase => ({ name: `bikesNear(${args})`, body: query(`{ bikesNear(${args}) { edges { node { id } } } }`), status: 200, code: 'BAD_USER_INPUT' }),
    ),
    ...['x', '', '00000000-0000-0000-0000-00000000000g', 'a'.repeat(300), '1; DROP TABLE bikes', '\u0000'].map(
      (id): HttpCase => ({ name: `bike(id: ${JSON.stringify(id.slice(0, 20))})`, body: query('query ($id: ID!) { bike(id: $id) { id } }', { variables: { id } }), status: 200, code: 'BAD_USER_INPUT' }),
    ),
    // Limits.
    { name: 'a query deeper than the limit', body: query(deep), status: 400, code: 'QUERY_TOO_DEEP' },
    { name: 'a query costlier than the limit', body: query(wide), status: 400, code: 'QUERY_TOO_COMPLEX' },
    { name: '16 aliases', body: query(aliases(16)), status: 400, code: 'TOO_MANY_ALIASES' },
    { name: '300 aliases (too costly as well: the plainest limit answers)', body: query(aliases(300)), status: 400, code: 'TOO_MANY_ALIASES' },
    { name: 'a page of 101 bikes (the cost counts `first`)', body: query('{ bikesNear(lat: 52, lon: 4, radiusMeters: 100, first: 101) { edges { node { id } } } }'), status: 400, code: 'QUERY_TOO_COMPLEX' },
    {
      name: 'two aliased logins in one request',
      body: query('mutation { a: login(email: "a@b.c", password: "1") { token } b: login(email: "a@b.c", password: "2") { token } }'),
      status: 400,
      code: 'MUTATION_REPEATED',
    },
    {
      name: 'logins repeated through a fragment',
      body: query('mutation { ...L ...L2 } fragment L on Mutation { login(email: "a@b.c", password: "1") { token } } fragment L2 on Mutation { x: login(email: "a@b.c", password: "2") { token } }'),
      status: 400,
      code: 'MUTATION_REPEATED',
    },
    // Automatic persisted queries.
    { name: 'APQ version 2', body: query('{ tariff { holdMinutes } }', { extensions: { persistedQuery: { version: 2, sha256Hash: hash('{ tariff { holdMinutes } }') } } }), status: 400, code: 'PERSISTED_QUERY_VERSION_UNSUPPORTED' },
    { name: 'APQ hash of another query', body: query('{ tariff { holdMinutes } }', { extensions: { persistedQuery: { version: 1, sha256Hash: hash('{ other }') } } }), status: 400, code: 'PERSISTED_QUERY_HASH_MISMATCH' },
    { name: 'APQ hash not hex', body: query('{ tariff { holdMinutes } }', { extensions: { persistedQuery: { version: 1, sha256Hash: 'zz' } } }), status: 400, code: 'PERSISTED_QUERY_INVALID' },
    { name: 'APQ hash upper-case', body: query('{ tariff { holdMinutes } }', { extensions: { persistedQuery: { version: 1, sha256Hash: hash('{ tariff { holdMinutes } }').toUpperCase() } } }), status: 400, code: 'PERSISTED_QUERY_INVALID' },
    { name: 'APQ persistedQuery a string', body: query('{ tariff { holdMinutes } }', { extensions: { persistedQuery: 'yes' } }), status: 400, code: 'PERSISTED_QUERY_INVALID' },
    { name: 'APQ without version', body: query('{ tariff { holdMinutes } }', { extensions: { persistedQuery: { sha256Hash: hash('{ tariff { holdMinutes } }') } } }), status: 400, code: 'PERSISTED_QUERY_VERSION_UNSUPPORTED' },
    { name: 'APQ unknown hash, no query', body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: hash(randomUUID()) } } }), status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' },
    {
      name: 'APQ over GET with the wrong hash',
      method: 'GET',
      query: `?query=${encodeURIComponent('{ tariff { holdMinutes } }')}&extensions=${encodeURIComponent(json({ persistedQuery: { version: 1, sha256Hash: hash('x') } }))}`,
      status: 400,
      code: 'PERSISTED_QUERY_HASH_MISMATCH',
    },
    // Trusted documents: an app's key sends a live manifest's id, and nothing else.
    ...[
      ['a free-form document', query(TRUSTED)],
      ['an unknown id', json({ extensions: { persistedQuery: { version: 1, sha256Hash: hash(randomUUID()) } } })],
      ['an id only a retired version shipped', json({ extensions: { persistedQuery: { version: 1, sha256Hash: hash(RETIRED) } } })],
      ['a document with its own hash (an APQ registration)', query('{ tariff { perMinute { amountMinor } } }', { extensions: { persistedQuery: { version: 1, sha256Hash: hash('{ tariff { perMinute { amountMinor } } }') } } })],
      ['the retired body with its id', query(RETIRED, { extensions: { persistedQuery: { version: 1, sha256Hash: hash(RETIRED) } } })],
      ['a free-form document with extensions of its own', query(TRUSTED, { extensions: { clientLibrary: { name: 'apollo-kotlin' } } })],
    ].map(([name, body]): HttpCase => ({ name: `app key: ${name}`, body, status: 400, code: 'PERSISTED_QUERY_NOT_IN_LIST', app: true })),
    {
      name: 'app key: a free-form document over GET',
      method: 'GET',
      query: `?query=${encodeURIComponent(TRUSTED)}`,
      status: 400,
      code: 'PERSISTED_QUERY_NOT_IN_LIST',
      app: true,
    },
    { name: 'app key: a live id with another body', body: query(RETIRED, { extensions: { persistedQuery: { version: 1, sha256Hash: hash(TRUSTED) } } }), status: 400, code: 'PERSISTED_QUERY_HASH_MISMATCH', app: true },
    { name: 'app key: a live id as APQ version 2', body: json({ extensions: { persistedQuery: { version: 2, sha256Hash: hash(TRUSTED) } } }), status: 400, code: 'PERSISTED_QUERY_VERSION_UNSUPPORTED', app: true },
    { name: 'app key: a live id with an operationName its document lacks', body: json({ operationName: 'Other', extensions: { persistedQuery: { version: 1, sha256Hash: hash(TRUSTED) } } }), status: 400, code: 'OPERATION_RESOLUTION_FAILURE', app: true },
    { name: 'app key: a batch of live ids', body: json([{ extensions: { persistedQuery: { version: 1, sha256Hash: hash(TRUSTED) } } }]), status: 400, code: 'BAD_REQUEST', app: true },
    { name: 'app key: a query that is a number', body: json({ query: 42 }), status: 400, code: 'BAD_REQUEST', app: true },
    { name: 'app key: neither a query nor an id', body: json({}), status: 400, code: 'BAD_REQUEST', app: true },
    { name: 'GET with extensions that are not JSON', method: 'GET', query: `?query=${encodeURIComponent('{ tariff { holdMinutes } }')}&extensions=%7B`, status: 400, code: 'BAD_REQUEST' },
    { name: 'GET with variables that are not JSON', method: 'GET', query: `?query=${encodeURIComponent('{ tariff { holdMinutes } }')}&variables=%7B`, status: 400, code: 'BAD_REQUEST' },
    { name: 'GET without a query', method: 'GET', query: '', status: 400, code: 'BAD_REQUEST' },
    // Login with text the database cannot store, and other odd credentials.
    { name: 'login with a NUL byte in the email', body: login('rider\u0000@example.test'), status: 200, code: 'BAD_USER_INPUT' },
    { name: 'login with a NUL byte in the password', body: login('nobody@example.test', 'pass\u0000word'), status: 200, code: 'UNAUTHENTICATED' },
    { name: 'login with a 10,000-character email', body: login(`${'a'.repeat(10_000)}@example.test`), status: 200, code: 'UNAUTHENTICATED' },
    { name: 'login with a lone surrogate in the email', body: login('\ud800@example.test'), status: 200, code: 'UNAUTHENTICATED' },
    { name: 'login with an email as a number', body: query('mutation { login(email: 1, password: "x") { token } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
    // fleetImpact (ops): times that are not RFC 3339, ranges it refuses, and its cost by buckets.
    ...['yesterday', '', '12/2/2026, 1:17:25 PM', '1', '2026-11-01', '2026-02-30T00:00:00Z', '2026-11-01T25:00:00Z', '0000-01-01T00:00:00Z', '2100-01-01T00:00:00Z', '9'.repeat(300)].map(
      (from): HttpCase => ({ name: `fleetImpact(from: ${JSON.stringify(from.slice(0, 24))})`, body: fleetImpact(from, '2026-11-02T00:00:00Z', 'DAY'), status: 200, code: 'BAD_USER_INPUT', ops: true }),
    ),
    { name: 'fleetImpact ending before it starts', body: fleetImpact('2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', 'DAY'), status: 200, code: 'BAD_USER_INPUT', ops: true },
    { name: 'fleetImpact over 366 days', body: fleetImpact('2025-01-01T00:00:00Z', '2026-02-01T00:00:00Z', 'DAY'), status: 200, code: 'BAD_USER_INPUT', ops: true },
    { name: 'fleetImpact by hour over 31 days', body: fleetImpact('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z', 'HOUR'), status: 200, code: 'BAD_USER_INPUT', ops: true },
    { name: 'fleetImpact of two days by hour (48 buckets, over the cost of 100)', body: fleetImpact('2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z', 'HOUR'), status: 400, code: 'QUERY_TOO_COMPLEX', ops: true },
    { name: 'fleetImpact by hour with its range in variables (counted as the longest)', body: query('query ($f: String!, $t: String!) { fleetImpact(from: $f, to: $t, groupBy: HOUR) { start } }', { variables: { f: '2026-11-01T00:00:00Z', t: '2026-11-01T01:00:00Z' } }), status: 400, code: 'QUERY_TOO_COMPLEX', ops: true },
    { name: 'fleetImpact groupBy HOURS', body: query('{ fleetImpact(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", groupBy: HOURS) { start } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', ops: true },
    { name: 'fleetImpact groupBy "HOURS" in a variable', body: query('query ($g: ImpactGrouping) { fleetImpact(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", groupBy: $g) { start } }', { variables: { g: 'HOURS' } }), status: 400, code: 'BAD_USER_INPUT', ops: true },
    { name: 'fleetImpact without the ops scope', body: fleetImpact('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'DAY'), status: 200, code: 'FORBIDDEN' },
  ];

  /** The gateway's answer: status and the first error's code (or the login payload's, for login). */
  async function send(testCase: HttpCase): Promise<{ status: number; code: string | undefined; retryAfter?: string | null }> {
    const response = await request(`${url}${testCase.query ?? ''}`, {
      method: testCase.method ?? 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': testCase.ops ? opsKey : testCase.app ? appKey : apiKey, 'apollo-require-preflight': 'true', ...testCase.headers },
      body: testCase.method === 'GET' ? undefined : testCase.body,
    });
    const text = await response.body.text();
    let parsed: { errors?: { extensions?: { code?: string } }[]; data?: { login?: { errors?: { code: string }[] } } } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the code stays undefined and the case fails with the status it got
    }
    const code = parsed.errors?.[0]?.extensions?.code ?? parsed.data?.login?.errors?.[0]?.code;
    return { status: response.statusCode, code, retryAfter: response.headers['retry-after'] as string | undefined };
  }

  it.each(gatewayCases.map((testCase) => [testCase.name, testCase] as const))('gateway: %s', async (_name, testCase) => {
    const answer = await send(testCase);
    record('gateway', `${answer.status} ${answer.code}`);
    expect({ status: answer.status, code: answer.code }).toEqual({ status: testCase.status, code: testCase.code });
  });

  it.each(Object.keys(COMPRESS))('gateway: a %s body within the limit is answered like a plain one', async (encoding) => {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding, 'x-api-key': apiKey },
      body: COMPRESS[encoding](query('{ tariff { holdMinutes } }')),
    });
    const answer = (await response.body.json()) as { data?: { tariff: { holdMinutes: number } } };
    record('gateway', `${response.statusCode} ${encoding} decoded`);
    expect({ status: response.statusCode, holdMinutes: answer.data?.tariff.holdMinutes }).toEqual({ status: 200, holdMinutes: expect.any(Number) });
  });

  it('gateway: failed logins for one account are locked out after 3, with Retry-After, and the right password is refused meanwhile', async () => {
    const rider = await newRider(running.clients);
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await send({ name: '', body: login(rider.email), status: 200, code: '' })).code).toBe('UNAUTHENTICATED');
    const locked = await send({ name: '', body: login(rider.email, rider.password), status: 200, code: '' });
    record('gateway', `${locked.status} ${locked.code}`);
    expect(locked).toMatchObject({ status: 200, code: 'RATE_LIMITED' });
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
  });

  // ---------------------------------------------------------------- sign-up and accounts
  // Every sign-up here comes from this test's one address, which may make 10 an hour (the default).
  const signUp = async (email: string, password: string, displayName = 'Robin Rider') => {
    const answer = await graphql(url, 'mutation ($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, displayName: $n) { token errors { code message } } }', {
      apiKey,
      variables: { e: email, p: password, n: displayName },
    });
    const refusal = answer.errors?.[0];
    return refusal ? { code: refusal.extensions?.code, message: refusal.message } : (answer.data!.signUp.errors[0] ?? { code: 'OK', message: '' });
  };
  const GUESSABLE = "password is too easy to guess: it is built from your name, your email address or the service's name; a few uncommon words together make a strong one";
  const DECORATED = 'password is too easy to guess: a common word with digits, symbols or a repeat added is among the first guesses; a few uncommon words together make a strong one';
  const signUpCases: [string, string, string, { code: string; message: string }][] = [
    ['a season, a year and symbols', 'Summer2026!!', 'Robin Rider', { code: 'BAD_USER_INPUT', message: DECORATED }],
    ['a common password twice', 'letmein!letmein', 'Robin Rider', { code: 'BAD_USER_INPUT', message: DECORATED }],
    ["the service's name twice", 'ecowheels-ecowheels', 'Robin Rider', { code: 'BAD_USER_INPUT', message: GUESSABLE }],
    ["the rider's name twice", 'robin rider robin rider', 'Robin Rider', { code: 'BAD_USER_INPUT', message: GUESSABLE }],
    ['a common word with a year', 'Dragonfly2026!', 'Robin Rider', { code: 'BAD_USER_INPUT', message: DECORATED }],
    ['201 characters', 'x'.repeat(201), 'Robin Rider', { code: 'BAD_USER_INPUT', message: 'password: must be at most 200 characters' }],
  ];
  it.each(signUpCases)('sign-up: refuses %s with what to change', async (_name, password, displayName, expected) => {
    const answer = await signUp(`abuse-${randomUUID()}@example.test`, password, displayName);
    record('sign-up', answer.code);
    expect(answer).toEqual(expected);
  });

  it('sign-up: counts every attempt from an address before judging its password, the refused ones too', async () => {
    // Five of the ten were refused above: their passwords were judged, so they count (the 201
    // characters never reached the check). Five strong ones more, then the eleventh is refused.
    for (let n = 0; n < 5; n += 1) expect(await signUp(`abuse-ok-${randomUUID()}@example.test`, 'copper kettle under nine lanterns')).toEqual({ code: 'OK', message: '' });
    const refused = await signUp(`abuse-over-${randomUUID()}@example.test`, 'copper kettle under nine lanterns');
    record('sign-up', refused.code);
    expect(refused).toEqual({ code: 'RATE_LIMITED', message: expect.stringMatching(/^at most 10 sign-ups an hour from one address; try again in \d+ s$/) });
  });

  it('gateway: has no demo settings page unless the launcher names the demo file', async () => {
    const answer = await request(`${new URL(url).origin}/graphql/explorer/settings.json`);
    const body = await answer.body.text();
    record('gateway', `${answer.statusCode} settings.json`);
    expect(answer.statusCode).toBe(401);
    expect(body).not.toMatch(/apiKey|demoRider/);
  });

  it('gateway: the code printed on a bike, and a listing id from before its last trip, show an app no bike', async () => {
    const { bike } = await running.clients.inventory.registerBike({ model: 'Corpus', location: { latitude: 52.5, longitude: 4.5 }, batteryPercent: 90, stationId: '' });
    /** The answer's data and errors (its extensions carry only the trace id). */
    const ask = async (id: string) => {
      const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: query('query ($id: ID!) { bike(id: $id) { id } }', { variables: { id } }) });
      const { data, errors } = JSON.parse(await response.body.text()) as { data: unknown; errors?: unknown };
      return [response.statusCode, data, errors];
    };
    expect(await ask(bike!.id)).toEqual([200, { bike: null }, undefined]);
    expect(await ask(bike!.listingId)).toEqual([200, { bike: { id: bike!.listingId } }, undefined]);
    const rider = await newRider(running.clients);
    await running.clients.payment.topUpWallet({ riderId: rider.riderId, amount: { amountMinor: 2000, currency: 'EUR' }, cardNumber: '4242424242424242', idempotencyKey: randomUUID() });
    const { ride } = await running.clients.ride.startRide({ riderId: rider.riderId, bikeId: bike!.id, idempotencyKey: randomUUID() });
    await running.clients.ride.endRide({ rideId: ride!.id, riderId: rider.riderId });
    expect(await ask(bike!.listingId)).toEqual([200, { bike: null }, undefined]);
    record('gateway', '200 bike null');
  });

  it.each([
    ['a forged Host header', { host: 'attacker.example' }, 200],
    ['a forged X-Forwarded-Host header', { 'x-forwarded-host': 'attacker.example' }, 200],
  ] as const)('GBFS: %s never reaches the feed\'s URLs', async (_name, headers, expected) => {
    const response = await request(url.replace(/\/graphql$/, '/gbfs/v3/gbfs.json'), { headers });
    const text = await response.body.text();
    record('GBFS', String(response.statusCode));
    expect(response.statusCode).toBe(expected);
    expect(text).not.toContain('attacker.example');
  });

  it('GBFS: a reader that has the file gets 304, and a file that does not exist 404', async () => {
    const file = url.replace(/\/graphql$/, '/gbfs/v3/system_information.json');
    let first = await request(file);
    await first.body.text();
    const left = Number(/max-age=(\d+)/.exec(String(first.headers['cache-control']))?.[1] ?? 0);
    if (left < 2) {
      // The snapshot is about to turn over: ask again from the next one.
      await new Promise((resolve) => setTimeout(resolve, (left + 1) * 1000));
      first = await request(file);
      await first.body.text();
    }
    const again = await request(file, { headers: { 'if-none-match': String(first.headers.etag) } });
    await again.body.text();
    const missing = await request(url.replace(/\/graphql$/, '/gbfs/v3/nothing.json'));
    await missing.body.text();
    record('GBFS', `${again.statusCode}`);
    record('GBFS', `${missing.statusCode}`);
    expect([again.statusCode, missing.statusCode]).toEqual([304, 404]);
  });

  // ---------------------------------------------------------------- gRPC
  const definitions: Record<ServiceName, [string, ServiceDefinition]> = {
    user: ['ecowheels.user.v1.UserService', UserServiceService as unknown as ServiceDefinition],
    inventory: ['ecowheels.inventory.v1.InventoryService', InventoryServiceService as unknown as ServiceDefinition],
    payment: ['ecowheels.payment.v1.PaymentService', PaymentServiceService as unknown as ServiceDefinition],
    ride: ['ecowheels.ride.v1.RideService', RideServiceService as unknown as ServiceDefinition],
    telematics: ['ecowheels.telematics.v1.TelematicsService', TelematicsServiceService as unknown as ServiceDefinition],
  };
  const methods = Object.entries(definitions).flatMap(([service, [fullName, definition]]) =>
    Object.values(definition).map((method) => ({ service: service as ServiceName, fullName, path: method.path, name: method.path.split('/').pop()!, streaming: method.requestStream })),
  );
  const identities = ['user', 'inventory', 'payment', 'ride', 'telematics', 'gateway', 'operator'];
  const clients = new Map<string, Client>();
  const clientAs = (service: ServiceName, identity: string) => {
    const key = `${service}/${identity}`;
    if (!clients.has(key)) {
      const address = running.stack.service(service).address;
      const mesh = testCredentials(identity);
      clients.set(key, new Client(address, mesh.client, { ...channelOptionsFor(mesh, address), 'grpc.max_send_message_length': 16 * 1024 * 1024 }));
    }
    return clients.get(key)!;
  };
  afterAll(() => {
    for (const client of clients.values()) client.close();
  });

  /** Calls a method with raw bytes and answers the status code. */
  function callRaw(method: (typeof methods)[number], bytes: Buffer, options: { identity?: string; deadlineMs?: number } = {}): Promise<status> {
    const client = clientAs(method.service, options.identity ?? 'operator');
    const deadline = Date.now() + (options.deadlineMs ?? 10_000);
    const identity = (value: Buffer) => value;
    return new Promise((resolve) => {
      const done = (error: { code: status } | null) => resolve(error ? error.code : status.OK);
      if (method.streaming) {
        const call = client.makeClientStreamRequest(method.path, identity, identity, new Metadata(), { deadline }, done);
        call.write(bytes);
        call.end();
      } else {
        client.makeUnaryRequest(method.path, identity, identity, bytes, new Metadata(), { deadline }, done);
      }
    });
  }

  const garbage: [string, Buffer][] = [
    ['a length past the end', Buffer.from([0x0a, 0x05, 0x01])],
    ['a varint that never ends', Buffer.alloc(11, 0xff)],
    ['wire type 7', Buffer.from([0x0f, 0x01])],
  ];
  const malformed = methods.flatMap((method) => garbage.map(([what, bytes]) => [`${method.service}.${method.name} with ${what}`, method, bytes] as const));
  /** A caller the mesh policy lets call the method, so the bytes are what is judged. */
  const allowedCaller = (method: (typeof methods)[number]) => (AUTHORIZATION as Record<string, Record<string, string[]>>)[method.fullName][method.name][0];
  it.each(malformed)('gRPC: %s answers INVALID_ARGUMENT', async (_name, method, bytes) => {
    const code = await callRaw(method, bytes, { identity: allowedCaller(method) });
    record('gRPC malformed bytes', status[code]);
    expect(status[code]).toBe('INVALID_ARGUMENT');
  });

  const unlisted = methods.flatMap((method) => {
    const allowed = (AUTHORIZATION as Record<string, Record<string, string[]>>)[method.fullName][method.name];
    const caller = identities.find((identity) => !allowed.includes(identity));
    return caller ? [[`${method.service}.${method.name} called by ${caller}`, method, caller] as const] : [];
  });
  it.each(unlisted)('gRPC: %s, who is not listed, answers PERMISSION_DENIED', async (_name, method, caller) => {
    const code = await callRaw(method, Buffer.alloc(0), { identity: caller });
    record('gRPC unlisted caller', status[code]);
    expect(status[code]).toBe('PERMISSION_DENIED');
  });

  // Every method with a required field; an empty batch or list is a valid request.
  const emptyRequests = methods.filter((method) => !/^(GetTokenVerificationKeys|ListStations|ListFeedVehicles|GetPricing|Ingest|RecordBikeTelemetry|Batch.*)$/.test(method.name));
  it.each(emptyRequests.map((method) => [`${method.service}.${method.name}`, method] as const))('gRPC: %s with every field left empty answers INVALID_ARGUMENT', async (_name, method) => {
    const code = await callRaw(method, Buffer.alloc(0), { identity: allowedCaller(method) });
    record('gRPC empty request', status[code]);
    expect(status[code]).toBe('INVALID_ARGUMENT');
  });

  /** A payment request whose Money (field 2) holds `amount` minor units, as int64 on the wire. */
  const withAmount = (amount: bigint, first: string) => {
    const money = new BinaryWriter().uint32(8).int64(amount).uint32(18).string('EUR').finish();
    return Buffer.from(new BinaryWriter().uint32(10).string(first).uint32(18).bytes(money).uint32(26).string(randomUUID()).finish());
  };
  const payment = (name: string) => methods.find((method) => method.service === 'payment' && method.name === name)!;
  it.each([
    ['TopUpWallet', 2n ** 60n],
    ['TopUpWallet', 2n ** 53n + 1n],
    ['TopUpWallet', -(2n ** 62n)],
    ['Authorize', 2n ** 60n],
    ['Capture', 2n ** 60n],
    ['Refund', 2n ** 60n],
  ] as const)('gRPC: payment.%s with an amount of %s minor units, beyond a safe number, answers INVALID_ARGUMENT', async (name, amount) => {
    const code = await callRaw(payment(name), withAmount(amount, randomUUID()));
    record('gRPC int64 beyond 2^53', status[code]);
    expect(status[code]).toBe('INVALID_ARGUMENT');
  });

  it.each(['user', 'inventory', 'payment', 'ride', 'telematics'] as const)('gRPC: %s refuses a request over 4 MB with RESOURCE_EXHAUSTED', async (service) => {
    const method = methods.find((candidate) => candidate.service === service && !candidate.streaming)!;
    const code = await callRaw(method, Buffer.from(new BinaryWriter().uint32(10).string('x'.repeat(5 * 1024 * 1024)).finish()));
    record('gRPC oversized', status[code]);
    expect(status[code]).toBe('RESOURCE_EXHAUSTED');
  });

  it.each(['user', 'inventory', 'payment', 'ride', 'telematics'] as const)('gRPC: %s, called with a deadline already past, answers DEADLINE_EXCEEDED', async (service) => {
    const method = methods.find((candidate) => candidate.service === service && !candidate.streaming)!;
    const code = await callRaw(method, Buffer.alloc(0), { deadlineMs: -1 });
    record('gRPC past deadline', status[code]);
    expect(status[code]).toBe('DEADLINE_EXCEEDED');
  });

  it('gRPC: a NUL byte in a rider\'s email answers INVALID_ARGUMENT', async () => {
    const code = await running.clients.user.createRider({ email: 'nul\u0000@example.test', displayName: 'Nul', password: 'a long password' }).then(
      () => status.OK,
      (error: { code: status }) => error.code,
    );
    record('gRPC text the database refuses', status[code]);
    expect(status[code]).toBe('INVALID_ARGUMENT');
  });

  // ---------------------------------------------------------------- telematics device door
  const deviceCases: HttpCase[] = [
    { name: 'no device key', headers: {}, body: '{}', status: 401, code: 'UNAUTHENTICATED' },
    ...['Bearer x', `Bearer ${randomUUID()}`, `Bearer ${randomUUID()}:`, `Bearer ${randomUUID()}:secret`, 'Basic abc', `Bearer ${'a'.repeat(36)}:s`].map(
      (authorization): HttpCase => ({ name: `device key ${JSON.stringify(authorization.slice(0, 20))}`, headers: { authorization }, body: '{}', status: 401, code: 'UNAUTHENTICATED' }),
    ),
  ];
  it.each(deviceCases.map((testCase) => [testCase.name, testCase] as const))('device door: %s', async (_name, testCase) => {
    const response = await request(`${running.stack.service('telematics').ready.deviceUrl as string}/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...testCase.headers },
      body: testCase.body,
    });
    const body = (await response.body.json()) as { error?: { code?: string } };
    record('device door', `${response.statusCode} ${body.error?.code}`);
    expect({ status: response.statusCode, code: body.error?.code }).toEqual({ status: testCase.status, code: testCase.code });
  });

  // ------------------------------------------------- telematics fields, one bad reading per batch
  // Every field of a Reading with values a broken or hostile unit sends, each refused alone with the
  // exact rule (the batch holds nothing else, so the door answers 400; another bike's id, 403).
  const now = Date.now();
  const fieldCases: [string, Record<string, unknown>, string][] = [
    ...['', 'not-a-uuid', '0b0e7c1e-0000-4000-8000', 42, true, {}, []].map((bikeId): [string, Record<string, unknown>, string] => [`bikeId ${JSON.stringify(bikeId)}`, { bikeId }, 'schema']),
    ...[0, -1, 1.5, 'abc', '18446744073709551616', true, {}, [], 'NaN'].map((sequence): [string, Record<string, unknown>, string] => [`sequence ${JSON.stringify(sequence)}`, { sequence }, 'schema']),
    ...['', '12/03/2026', '2026-11-26 09:30:00Z', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-26T24:00:00Z', '2026-11-26T09:30Z', '2026-11-26', '1', 'yesterday', '2026-11-26T09:30:00+0100', 'Thu, 26 Nov 2026 09:30:00 GMT', '+275760-09-13T00:00:00Z', '2026-11-26T09:30:00.1234567890Z'].map(
      (recordTime): [string, Record<string, unknown>, string] => [`recordTime ${JSON.stringify(recordTime)}`, { recordTime }, 'time.invalid'],
    ),
    ...[12345, true, {}, []].map((recordTime): [string, Record<string, unknown>, string] => [`recordTime ${JSON.stringify(recordTime)}`, { recordTime }, 'schema']),
    ['recordTime an hour ahead', { recordTime: new Date(now + 3_600_000).toISOString() }, 'time.future'],
    ['recordTime a day ahead', { recordTime: new Date(now + 86_400_000).toISOString() }, 'time.future'],
    ['recordTime eight days old', { recordTime: new Date(now - 8 * 86_400_000).toISOString() }, 'time.too_old'],
    ['recordTime a year old', { recordTime: new Date(now - 365 * 86_400_000).toISOString() }, 'time.too_old'],
    ...[90.0001, -90.5, 1000, -1e9].map((latitude): [string, Record<string, unknown>, string] => [`latitude ${latitude}`, { latitude }, 'range.latitude']),
    ...['north', true, {}].map((latitude): [string, Record<string, unknown>, string] => [`latitude ${JSON.stringify(latitude)}`, { latitude }, 'schema']),
    ...[180.5, -181, 1e6].map((longitude): [string, Record<string, unknown>, string] => [`longitude ${longitude}`, { longitude }, 'range.longitude']),
    ['position 0,0', { latitude: 0, longitude: 0 }, 'range.null_island'],
    ...[-0.1, 100.01, 250, -1e9].map((batteryPercent): [string, Record<string, unknown>, string] => [`batteryPercent ${batteryPercent}`, { batteryPercent }, 'range.battery']),
    ...[-1, 100.5, 1e6].map((speedKmh): [string, Record<string, unknown>, string] => [`speedKmh ${speedKmh}`, { speedKmh }, 'range.speed']),
    ...[-1, 101].map((batteryVoltage): [string, Record<string, unknown>, string] => [`batteryVoltage ${batteryVoltage}`, { batteryVoltage }, 'range.voltage']),
    ...[-1, 1e9, 1e15].map((odometerMeters): [string, Record<string, unknown>, string] => [`odometerMeters ${odometerMeters}`, { odometerMeters }, 'range.odometer']),
    ...[6, 100].map((assistLevel): [string, Record<string, unknown>, string] => [`assistLevel ${assistLevel}`, { assistLevel }, 'range.assist_level']),
    ...[-1, 1.5, 'two'].map((assistLevel): [string, Record<string, unknown>, string] => [`assistLevel ${JSON.stringify(assistLevel)}`, { assistLevel }, 'schema']),
    ...['E-BAT', ['lowercase'], ['X'.repeat(33)], Array.from({ length: 33 }, () => 'E-1'), [1], [''], ['E 1']].map(
      (faultCodes): [string, Record<string, unknown>, string] => [`faultCodes ${JSON.stringify(faultCodes).slice(0, 40)}`, { faultCodes }, 'schema'],
    ),
    ...['not-a-uuid', 5, {}].map((rideId): [string, Record<string, unknown>, string] => [`rideId ${JSON.stringify(rideId)}`, { rideId }, 'schema']),
    ...['00-bad', 'x', '00-' + '0'.repeat(32) + '-' + '0'.repeat(15) + '-01'].map((traceparent): [string, Record<string, unknown>, string] => [`traceparent ${JSON.stringify(traceparent)}`, { traceparent }, 'schema']),
    ...['extra', '__proto__', 'bike_id_2', 'constructor'].map((field): [string, Record<string, unknown>, string] => [`unknown field ${field}`, { [field]: 1 }, 'schema']),
  ];
  let fieldDevice: { bikeId: string; secret: string } | undefined;
  it.each(fieldCases.map(([name, overrides, rule]) => [name, overrides, rule] as const))('telematics field: %s is refused alone as %s', async (_name, overrides, rule) => {
    if (!fieldDevice) {
      const bikeId = randomUUID();
      fieldDevice = { bikeId, secret: (await running.clients.telematics.provisionDevice({ bikeId, rotate: false })).secret };
    }
    const reading = { bikeId: fieldDevice.bikeId, sequence: 1, recordTime: new Date().toISOString(), latitude: 52.37, longitude: 4.9, speedKmh: 15, batteryPercent: 80, ...overrides };
    const line = JSON.stringify(reading); // a computed __proto__ key is an own property, so it is sent
    const response = await request(`${running.stack.service('telematics').ready.deviceUrl as string}/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${fieldDevice.bikeId}:${fieldDevice.secret}` },
      body: line,
    });
    const body = (await response.body.json()) as { rejections?: { rule: string }[] };
    record('telematics field', `${response.statusCode} ${body.rejections?.[0]?.rule}`);
    expect({ status: response.statusCode, rule: body.rejections?.[0]?.rule }).toEqual({ status: 400, rule });
  });

  // --------------------------------------------------- device door bodies, with a real bike's key
  const bodyCases: { name: string; type: string; body: () => string | Buffer; status: number; code: string }[] = [
    { name: 'text/plain', type: 'text/plain', body: () => '{}', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'an empty NDJSON body', type: 'application/x-ndjson', body: () => '', status: 400, code: 'BAD_REQUEST' },
    { name: 'an empty JSON array', type: 'application/json', body: () => '[]', status: 400, code: 'BAD_REQUEST' },
    // One object is taken as a batch of one reading: this one is refused as no Reading.
    { name: 'a JSON object that is no reading', type: 'application/json', body: () => '{"bikeId":"x"}', status: 400, code: 'schema' },
    { name: 'text that is not JSON', type: 'application/json', body: () => 'not json', status: 400, code: 'BAD_REQUEST' },
    { name: 'bytes that are no ReadingBatch', type: 'application/x-protobuf', body: () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), status: 400, code: 'BAD_REQUEST' },
    { name: '5,001 readings', type: 'application/x-ndjson', body: () => Array.from({ length: 5001 }, () => '{}').join('\n'), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'a body over 2 MB', type: 'application/x-ndjson', body: () => 'x'.repeat(3 * 1024 * 1024), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ];
  it.each(bodyCases.map((testCase) => [testCase.name, testCase] as const))('device door body: %s', async (_name, testCase) => {
    const bikeId = randomUUID();
    const { secret } = await running.clients.telematics.provisionDevice({ bikeId, rotate: false });
    const response = await request(`${running.stack.service('telematics').ready.deviceUrl as string}/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': testCase.type, authorization: `Bearer ${bikeId}:${secret}` },
      body: testCase.body(),
    });
    const body = (await response.body.json()) as { error?: { code?: string }; rejections?: { rule: string }[] };
    const code = body.error?.code ?? body.rejections?.[0]?.rule;
    record('device door', `${response.statusCode} ${code}`);
    expect({ status: response.statusCode, code }).toEqual({ status: testCase.status, code: testCase.code });
  });

  // ------------------------------------------------------------------- MQTT (the embedded broker)
  describe('MQTT', () => {
    const mqttUrl = () => running.stack.service('telematics').ready.mqttUrl as string;
    const bike = async () => {
      const bikeId = randomUUID();
      return { bikeId, secret: (await running.clients.telematics.provisionDevice({ bikeId, rotate: false })).secret };
    };
    const connect = (username: string, password: string, clientId = `bike-${username}`) =>
      mqtt.connectAsync(mqttUrl(), { protocolVersion: 4, username, password, clientId, reconnectPeriod: 0, connectTimeout: 5000 });
    const closed = (client: MqttClient) => new Promise<string>((resolve) => client.once('close', () => resolve('closed')));
    const outcome = async (what: string, run: () => Promise<string>, expected: string | RegExp) => {
      const got = await run().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      record('MQTT', what);
      expect(got).toMatch(expected);
    };

    it('refuses a wrong secret and an unknown bike at CONNECT', async () => {
      const { bikeId } = await bike();
      await outcome('wrong secret', () => connect(bikeId, 'ewd_wrong').then(() => 'connected'), /Bad username or password/);
      await outcome('unknown bike', () => connect(randomUUID(), 'ewd_x').then(() => 'connected'), /Bad username or password/);
    });

    it("closes the connection of a bike that publishes to another bike's topic, or a packet over 256 KB", async () => {
      const { bikeId, secret } = await bike();
      await outcome('other topic', async () => {
        const client = await connect(bikeId, secret);
        const ended = closed(client);
        client.publish(`ecowheels/v1/bikes/${randomUUID()}/readings`, '{}', { qos: 1 });
        return ended;
      }, 'closed');
      await outcome('packet over the limit', async () => {
        const client = await connect(bikeId, secret);
        const ended = closed(client);
        client.publish(`ecowheels/v1/bikes/${bikeId}/readings`, Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
        return ended;
      }, 'closed');
    });

    it('closes a bike that subscribes beyond its own topics, and refuses a client id a connected bike holds', async () => {
      const first = await bike();
      const second = await bike();
      await outcome('wildcard subscription', async () => {
        const client = await connect(first.bikeId, first.secret);
        const ended = closed(client);
        client.subscribe('#', { qos: 1 });
        return ended;
      }, 'closed');
      const holder = await connect(first.bikeId, first.secret, 'held-id');
      try {
        await outcome('client id held by another bike', () => connect(second.bikeId, second.secret, 'held-id').then(() => 'connected'), /Identifier rejected/);
      } finally {
        await holder.endAsync(true);
      }
    });

    it('closes a socket that sends bytes that are no MQTT', async () => {
      const { hostname, port } = new URL(mqttUrl().replace(/^mqtts?/, 'http'));
      await outcome('garbage before CONNECT', () =>
        new Promise<string>((resolve) => {
          const socket = connectTcp(Number(port), hostname);
          socket.on('error', () => undefined);
          socket.once('close', () => resolve('closed'));
          socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        }),
      'closed');
    });
  });

  it('no process crashed, and every one still answers', async () => {
    const names: ProcessName[] = ['user', 'inventory', 'payment', 'ride', 'telematics', 'gateway'];
    expect(Object.fromEntries(names.map((name) => [name, running.stack.service(name).ending ?? 'running']))).toEqual(Object.fromEntries(names.map((name) => [name, 'running'])));
    expect((await send({ name: '', body: query('{ tariff { holdMinutes } }'), status: 200, code: '' })).status).toBe(200);
    const total = summary.length;
    expect(total).toBeGreaterThanOrEqual(500);
  });
});
