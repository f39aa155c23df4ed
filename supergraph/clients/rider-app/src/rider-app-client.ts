// The rider app's GraphQL layer: Apollo Client (core, no UI), every operation the app uses as a
// typed method, sent by id (a persisted query) rather than as text. What a screen needs is one
// call; the rider's token, once signUp or logIn gave one, goes with every request after it.
//
// On the wire each request carries `extensions.persistedQuery = { version: 1, sha256Hash: <id> }`
// with no `query`, the API key, and `apollographql-client-name: rider-app` and
// `apollographql-client-version` so that the gateway knows which published manifest the id
// belongs to. A gateway that does not know the id (one without trusted documents, that only caches
// automatic persisted queries) answers PERSISTED_QUERY_NOT_FOUND, and the link sends the full
// body once, exactly as the manifest holds it.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type OperationVariables, type TypedDocumentNode } from '@apollo/client/core';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';
import manifest from '../persisted-query-manifest.json';
import { sortDefinitions } from './document-order';
import * as operations from './generated/graphql';
import { RIDER_APP } from './version';

export interface RiderAppClientOptions {
  /** The GraphQL endpoint, for example https://api.ecowheels.example/graphql. */
  url: string;
  /** The app's API key (`x-api-key`), the same for every install of one app. */
  apiKey: string;
  /** Another version than this build's, only for tests that play an older or newer app. */
  version?: string;
  /** The fetch to send with (a test may wrap it to see the requests); the platform's by default. */
  fetch?: typeof fetch;
}

/** A point on the map, as the phone's location gives it. */
export interface Place {
  latitude: number;
  longitude: number;
}

export class RiderAppClient {
  readonly apollo: ApolloClient;
  /** The rider's bearer token, from signUp or logIn; none before. */
  private token: string | undefined;

  constructor(options: RiderAppClientOptions) {
    const credentials = new SetContextLink(({ headers }) => ({
      headers: { ...headers, 'x-api-key': options.apiKey, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
    }));
    // Ids come from the manifest by operation name: no hashing on the phone, and only operations
    // the build put in the manifest can be sent by id.
    const byId = new PersistedQueryLink(generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest }));
    const http = new HttpLink({ uri: options.url, fetch: options.fetch });
    this.apollo = new ApolloClient({
      link: ApolloLink.from([credentials, byId, http]),
      cache: new InMemoryCache(),
      documentTransform: sortDefinitions,
      clientAwareness: { name: RIDER_APP.name, version: options.version ?? RIDER_APP.version },
      // Nothing about the library in the request: the gateway needs the app's name and version only.
      enhancedClientAwareness: { transport: false },
      // Every screen asks the network: the rider sees the wallet and the bikes as they are now.
      defaultOptions: { query: { fetchPolicy: 'network-only' } },
    });
  }

  get signedIn(): boolean {
    return this.token !== undefined;
  }

  /** Forget the rider (log out); the app's key stays. */
  signOut(): void {
    this.token = undefined;
  }

  // --- Signing up and logging in ---

  async signUp(email: string, password: string, displayName: string) {
    const { signUp } = await this.mutate(operations.SignUpDocument, { email, password, displayName });
    if (signUp.token) this.token = signUp.token;
    return signUp;
  }

  async confirmEmail(code: string) {
    return (await this.mutate(operations.ConfirmEmailDocument, { code })).confirmEmail;
  }

  async checkIdentity(document: string) {
    return (await this.mutate(operations.CheckIdentityDocument, { document })).checkIdentity;
  }

  async logIn(email: string, password: string) {
    const { login } = await this.mutate(operations.LogInDocument, { email, password });
    if (login.token) this.token = login.token;
    return login;
  }

  // --- Screens ---

  homeScreen(near: Place) {
    return this.query(operations.HomeScreenDocument, { lat: near.latitude, lon: near.longitude });
  }

  async findBikes(near: Place, options: { radiusMeters?: number; first?: number; after?: string } = {}) {
    const { radiusMeters = 1000, first, after } = options;
    return (await this.query(operations.FindBikesDocument, { lat: near.latitude, lon: near.longitude, radiusMeters, first, after })).bikesNear;
  }

  async bike(id: string) {
    return (await this.query(operations.BikeDocument, { id })).bike;
  }

  /** `idempotencyKey`: a fresh UUID per tap of "start", the same one only to retry that tap. */
  async startRide(bikeId: string, idempotencyKey: string) {
    return (await this.mutate(operations.StartRideDocument, { bikeId, idempotencyKey })).startRide;
  }

  /** `at`: where the rider left the bike; without it, where the bike last reported itself. */
  async endRide(rideId: string, at?: Place, batteryPercent?: number) {
    return (await this.mutate(operations.EndRideDocument, { rideId, latitude: at?.latitude, longitude: at?.longitude, batteryPercent })).endRide;
  }

  async ride(id: string) {
    return (await this.query(operations.RideDocument, { id })).ride;
  }

  async myRides(page: { first?: number; after?: string } = {}) {
    return (await this.query(operations.MyRidesDocument, page)).myRides;
  }

  async myImpact() {
    return (await this.query(operations.MyImpactDocument, {})).me.impact;
  }

  async wallet() {
    return (await this.query(operations.WalletDocument, {})).wallet;
  }

  /** A card number in the sandbox, or the card processor's payment method (`pm_…`) for real. */
  async topUpWallet(amountMinor: number, card: { cardNumber: string } | { paymentMethod: string }, idempotencyKey: string) {
    return (await this.mutate(operations.TopUpWalletDocument, { amountMinor, ...card, idempotencyKey })).topUpWallet;
  }

  // A GraphQL error (UNAUTHENTICATED, RATE_LIMITED, SERVICE_UNAVAILABLE...) is thrown as Apollo
  // Client's CombinedGraphQLErrors, whose `errors` keep each `extensions.code`; refusals the rider
  // can fix come back inside the mutation's payload, in `errors`.
  private async query<Data, Variables extends OperationVariables>(document: TypedDocumentNode<Data, Variables>, variables: Variables): Promise<Data> {
    const { data } = await this.apollo.query({ query: document, variables });
    return data as Data;
  }

  private async mutate<Data, Variables extends OperationVariables>(document: TypedDocumentNode<Data, Variables>, variables: Variables): Promise<Data> {
    const { data } = await this.apollo.mutate({ mutation: document, variables });
    return data as Data;
  }
}
