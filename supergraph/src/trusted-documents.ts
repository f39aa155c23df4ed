// Trusted documents: an app's API key (one with neither the "ops" nor the "developer" scope) may
// run only the operations its live versions shipped with, sent by id, as Apollo Router's
// persisted query safelist does. The ids come from the app manifests (app-manifests.ts), kept in
// a Map and read again when the registry changes, so that retiring a version takes effect
// without a restart. A manifest id is resolved to its body here, before Apollo Server's automatic
// persisted queries see the request: an app never sends the body, and never meets
// PERSISTED_QUERY_NOT_FOUND for an id of its manifest. Keys with the ops or developer scope (the
// explorer, the dashboard, a developer's tools) keep free-form documents and APQ.
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { ConfigError } from '../../services/platform/src/config';
import type { Logger } from '../../services/platform/src/logger';
import { lazyCounter } from '../../services/platform/src/telemetry/tracing';
import type { ApiClientIdentity } from './api-keys';
import { readBoundedFile, readTrustedDocuments, REGISTRY_FILE, sha256Hex, type TrustedDocumentSet } from './app-manifests';
import { EdgeError } from './gateway-errors';

export interface TrustedDocumentSettings {
  /** `enforce`: app keys run only manifest ids; `off`: ids still resolve, nothing is refused. */
  mode: 'enforce' | 'off';
  /** The registry and the manifests (supergraph/app-manifests by default). */
  dir: string;
  /** How often the registry is read to notice a published or retired version. */
  pollMs: number;
}

/** Scopes whose keys may send any document: operations staff, and developers building an app. */
const FREE_FORM_SCOPES = ['ops', 'developer'];

export const isAppKey = (client: ApiClientIdentity) => !client.scopes.some((scope) => FREE_FORM_SCOPES.includes(scope));

type RefusalReason = 'not_in_list' | 'free_form' | 'retired';

const countRefusal = lazyCounter(
  'gateway.trusted_documents.refused',
  'Requests of app API keys refused for a document outside their live manifests, by client name and reason (not_in_list, free_form, retired)',
);

/** Client names a process labels the metric with; any further one is counted as "other". */
const MAX_CLIENT_LABELS = 50;

export class TrustedDocuments {
  private timer?: NodeJS.Timeout;
  private readonly clientLabels = new Set<string>();

  private constructor(
    private readonly settings: TrustedDocumentSettings,
    private readonly logger: Logger,
    private documents: TrustedDocumentSet,
    /** The registry's SHA-256 when it was last read: a poll reads everything again only when it differs. */
    private registryHash: string,
  ) {}

  /** Reads the registry and the live manifests; a broken file stops the start with a ConfigError naming it. */
  static load(settings: TrustedDocumentSettings, logger: Logger): TrustedDocuments {
    const registryHash = TrustedDocuments.hashRegistry(settings.dir);
    const documents = TrustedDocuments.read(settings.dir);
    const loaded = new TrustedDocuments(settings, logger, documents, registryHash);
    loaded.report();
    return loaded;
  }

  private static read(dir: string): TrustedDocumentSet {
    try {
      return readTrustedDocuments(dir);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`app manifests (GATEWAY_APP_MANIFESTS_DIR=${dir}): ${error.message}`);
      throw error;
    }
  }

  private static hashRegistry(dir: string): string {
    return sha256Hex(readBoundedFile(join(dir, REGISTRY_FILE)));
  }

  private report(): void {
    const { live, retired, liveVersions, warnings } = this.documents;
    this.logger.info({ mode: this.settings.mode, liveVersions, documents: live.size, retiredDocuments: retired.size }, 'trusted documents loaded');
    for (const warning of warnings) this.logger.warn(warning);
  }

  /**
   * Polls the registry. A poll is a stat and a read of one small file; fs.watch would miss the
   * symlink swap by which Kubernetes updates a mounted ConfigMap, and is unreliable on network file
   * systems. A registry or manifest that is broken when read again is logged, and the documents
   * loaded before stay in force until it is fixed: a bad publish must not take the API down.
   */
  startPolling(): void {
    this.timer = setInterval(() => this.reloadIfChanged(), this.settings.pollMs);
    this.timer.unref();
  }

  /** Reads everything again when the registry changed; answers whether it did. */
  reloadIfChanged(): boolean {
    try {
      const registryHash = TrustedDocuments.hashRegistry(this.settings.dir);
      if (registryHash === this.registryHash) return false;
      this.documents = TrustedDocuments.read(this.settings.dir);
      this.registryHash = registryHash;
      this.report();
      return true;
    } catch (error) {
      this.logger.error({ err: error }, 'app manifests could not be read again; the documents loaded before stay in force');
      return false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Express middleware, after the body is parsed and the APQ extension checked (persistedQueryCheck):
   * a manifest id without its body gets the body, for every key; an app key's request is refused
   * unless it names a live manifest's id (with or without the body, which APQ's check has already
   * matched to the id).
   */
  readonly check = (req: Request, res: Response, next: NextFunction): void => {
    const operation = operationOf(req);
    if (!operation) return next();
    const body = operation.hash === undefined ? undefined : this.documents.live.get(operation.hash);
    if (body !== undefined && operation.query === undefined) operation.resolve(body);
    const client = (res.locals.context as { client: ApiClientIdentity }).client;
    if (this.settings.mode === 'off' || body !== undefined || !isAppKey(client)) return next();
    if (operation.hash === undefined && operation.query === undefined) return next(); // no operation at all: Apollo Server's BAD_REQUEST
    next(this.refuse(client, operation.hash));
  };

  private refuse(client: ApiClientIdentity, hash: string | undefined): EdgeError {
    const retiredIn = hash === undefined ? undefined : this.documents.retired.get(hash);
    const reason: RefusalReason = hash === undefined ? 'free_form' : retiredIn ? 'retired' : 'not_in_list';
    countRefusal(1, { 'client.name': this.clientLabel(client.name), reason });
    const message = {
      free_form: 'this API key may run only the operations of its app\'s published manifests: send extensions.persistedQuery.sha256Hash with the operation\'s id from the manifest, not a free-form query (a key with the developer scope may send any document)',
      retired: `the operation ${hash} belongs only to retired app versions (${retiredIn?.slice(0, 3).join(', ')}${(retiredIn?.length ?? 0) > 3 ? ', …' : ''}): update the app to a live version`,
      not_in_list: `the operation ${hash} is in no live app manifest: publish the manifest of the app version that sends it (supergraph/app-manifests), or send an id from a live one`,
    }[reason];
    return new EdgeError('PERSISTED_QUERY_NOT_IN_LIST', 400, message);
  }

  /** The client's name as a metric label: at most MAX_CLIENT_LABELS distinct names, then "other". */
  private clientLabel(name: string): string {
    const label = name.slice(0, 64);
    if (this.clientLabels.has(label)) return label;
    if (this.clientLabels.size >= MAX_CLIENT_LABELS) return 'other';
    this.clientLabels.add(label);
    return label;
  }
}

interface RequestedOperation {
  /** The request's persisted query id, already checked to be well-formed (persistedQueryCheck). */
  hash?: string;
  /** The document sent, when one was. */
  query?: string;
  /** Puts a manifest's body in the request in place of the id, as a plain query for Apollo Server. */
  resolve(body: string): void;
}

/** A POST's JSON body or a GET's query string, as the operation it asks for; undefined for a body Apollo Server refuses itself. */
function operationOf(req: Request): RequestedOperation | undefined {
  if (req.method === 'GET') {
    const url = new URL(req.url, 'http://gateway');
    const extensions = parseObject(url.searchParams.get('extensions'));
    return {
      hash: hashOf(extensions),
      query: url.searchParams.get('query') || undefined,
      resolve: (body) => {
        url.searchParams.set('query', body);
        delete extensions!.persistedQuery;
        url.searchParams.set('extensions', JSON.stringify(extensions));
        req.url = `${url.pathname}${url.search}`;
      },
    };
  }
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) return undefined;
  const request = req.body as { query?: unknown; extensions?: Record<string, unknown> };
  if (request.query !== undefined && request.query !== null && typeof request.query !== 'string') return undefined;
  return {
    hash: hashOf(request.extensions),
    query: request.query || undefined,
    resolve: (body) => {
      request.query = body;
      delete request.extensions!.persistedQuery;
    },
  };
}

function parseObject(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // Apollo Server answers extensions that are not JSON with BAD_REQUEST
  }
}

function hashOf(extensions: unknown): string | undefined {
  const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}
