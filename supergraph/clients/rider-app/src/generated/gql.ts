/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Bike($id: ID!) {\n  bike(id: $id) {\n    ...BikeCard\n    station {\n      id\n      name\n    }\n  }\n}": typeof types.BikeDocument,
    "mutation CheckIdentity($document: String!) {\n  checkIdentity(document: $document) {\n    status\n    reason\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": typeof types.CheckIdentityDocument,
    "mutation ConfirmEmail($code: String!) {\n  confirmEmail(code: $code) {\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": typeof types.ConfirmEmailDocument,
    "mutation EndRide($rideId: ID!, $latitude: Float, $longitude: Float, $batteryPercent: Int) {\n  endRide(\n    rideId: $rideId\n    latitude: $latitude\n    longitude: $longitude\n    batteryPercent: $batteryPercent\n  ) {\n    ride {\n      ...RideSummary\n      charge {\n        status\n        captured {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": typeof types.EndRideDocument,
    "query FindBikes($lat: Float!, $lon: Float!, $radiusMeters: Int!, $first: Int, $after: String) {\n  bikesNear(\n    lat: $lat\n    lon: $lon\n    radiusMeters: $radiusMeters\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.FindBikesDocument,
    "fragment RiderProfile on User {\n  id\n  email\n  displayName\n  emailConfirmed\n  verified\n}\n\nfragment Problem on UserError {\n  code\n  message\n}\n\nfragment BikeCard on Bike {\n  id\n  model\n  status\n  batteryPercent\n  location {\n    latitude\n    longitude\n  }\n}\n\nfragment RideSummary on Ride {\n  id\n  status\n  startedAt\n  endedAt\n  fare {\n    formatted\n  }\n  distanceMeters\n  co2AvoidedGrams\n}": typeof types.RiderProfileFragmentDoc,
    "query HomeScreen($lat: Float!, $lon: Float!) {\n  me {\n    ...RiderProfile\n  }\n  wallet {\n    available {\n      amountMinor\n      formatted\n    }\n  }\n  tariff {\n    unlockFee {\n      formatted\n    }\n    perMinute {\n      formatted\n    }\n  }\n  myRides(first: 1) {\n    edges {\n      node {\n        ...RideSummary\n      }\n    }\n  }\n  bikesNear(lat: $lat, lon: $lon, radiusMeters: 1000, first: 10) {\n    edges {\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n  }\n}": typeof types.HomeScreenDocument,
    "mutation LogIn($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": typeof types.LogInDocument,
    "query MyImpact {\n  me {\n    id\n    impact {\n      rides\n      distanceMeters\n      movingSeconds\n      energyWh\n      co2AvoidedGrams\n    }\n  }\n}": typeof types.MyImpactDocument,
    "query MyRides($first: Int, $after: String) {\n  myRides(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...RideSummary\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.MyRidesDocument,
    "query Ride($id: ID!) {\n  ride(id: $id) {\n    ...RideSummary\n    movingSeconds\n    energyWh\n    charge {\n      status\n      captured {\n        formatted\n      }\n      refunded {\n        formatted\n      }\n    }\n  }\n}": typeof types.RideDocument,
    "mutation SignUp($email: String!, $password: String!, $displayName: String!) {\n  signUp(email: $email, password: $password, displayName: $displayName) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": typeof types.SignUpDocument,
    "mutation StartRide($bikeId: ID!, $idempotencyKey: String!) {\n  startRide(bikeId: $bikeId, idempotencyKey: $idempotencyKey) {\n    ride {\n      ...RideSummary\n      bike {\n        ...BikeCard\n      }\n      charge {\n        status\n        held {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": typeof types.StartRideDocument,
    "mutation TopUpWallet($amountMinor: Int!, $cardNumber: String, $paymentMethod: String, $idempotencyKey: String!) {\n  topUpWallet(\n    amountMinor: $amountMinor\n    cardNumber: $cardNumber\n    paymentMethod: $paymentMethod\n    idempotencyKey: $idempotencyKey\n  ) {\n    wallet {\n      available {\n        amountMinor\n        currency\n        formatted\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": typeof types.TopUpWalletDocument,
    "query Wallet {\n  wallet {\n    available {\n      amountMinor\n      currency\n      formatted\n    }\n    held {\n      formatted\n    }\n    updatedAt\n  }\n}": typeof types.WalletDocument,
};
const documents: Documents = {
    "query Bike($id: ID!) {\n  bike(id: $id) {\n    ...BikeCard\n    station {\n      id\n      name\n    }\n  }\n}": types.BikeDocument,
    "mutation CheckIdentity($document: String!) {\n  checkIdentity(document: $document) {\n    status\n    reason\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": types.CheckIdentityDocument,
    "mutation ConfirmEmail($code: String!) {\n  confirmEmail(code: $code) {\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": types.ConfirmEmailDocument,
    "mutation EndRide($rideId: ID!, $latitude: Float, $longitude: Float, $batteryPercent: Int) {\n  endRide(\n    rideId: $rideId\n    latitude: $latitude\n    longitude: $longitude\n    batteryPercent: $batteryPercent\n  ) {\n    ride {\n      ...RideSummary\n      charge {\n        status\n        captured {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": types.EndRideDocument,
    "query FindBikes($lat: Float!, $lon: Float!, $radiusMeters: Int!, $first: Int, $after: String) {\n  bikesNear(\n    lat: $lat\n    lon: $lon\n    radiusMeters: $radiusMeters\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.FindBikesDocument,
    "fragment RiderProfile on User {\n  id\n  email\n  displayName\n  emailConfirmed\n  verified\n}\n\nfragment Problem on UserError {\n  code\n  message\n}\n\nfragment BikeCard on Bike {\n  id\n  model\n  status\n  batteryPercent\n  location {\n    latitude\n    longitude\n  }\n}\n\nfragment RideSummary on Ride {\n  id\n  status\n  startedAt\n  endedAt\n  fare {\n    formatted\n  }\n  distanceMeters\n  co2AvoidedGrams\n}": types.RiderProfileFragmentDoc,
    "query HomeScreen($lat: Float!, $lon: Float!) {\n  me {\n    ...RiderProfile\n  }\n  wallet {\n    available {\n      amountMinor\n      formatted\n    }\n  }\n  tariff {\n    unlockFee {\n      formatted\n    }\n    perMinute {\n      formatted\n    }\n  }\n  myRides(first: 1) {\n    edges {\n      node {\n        ...RideSummary\n      }\n    }\n  }\n  bikesNear(lat: $lat, lon: $lon, radiusMeters: 1000, first: 10) {\n    edges {\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n  }\n}": types.HomeScreenDocument,
    "mutation LogIn($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": types.LogInDocument,
    "query MyImpact {\n  me {\n    id\n    impact {\n      rides\n      distanceMeters\n      movingSeconds\n      energyWh\n      co2AvoidedGrams\n    }\n  }\n}": types.MyImpactDocument,
    "query MyRides($first: Int, $after: String) {\n  myRides(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...RideSummary\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.MyRidesDocument,
    "query Ride($id: ID!) {\n  ride(id: $id) {\n    ...RideSummary\n    movingSeconds\n    energyWh\n    charge {\n      status\n      captured {\n        formatted\n      }\n      refunded {\n        formatted\n      }\n    }\n  }\n}": types.RideDocument,
    "mutation SignUp($email: String!, $password: String!, $displayName: String!) {\n  signUp(email: $email, password: $password, displayName: $displayName) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": types.SignUpDocument,
    "mutation StartRide($bikeId: ID!, $idempotencyKey: String!) {\n  startRide(bikeId: $bikeId, idempotencyKey: $idempotencyKey) {\n    ride {\n      ...RideSummary\n      bike {\n        ...BikeCard\n      }\n      charge {\n        status\n        held {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": types.StartRideDocument,
    "mutation TopUpWallet($amountMinor: Int!, $cardNumber: String, $paymentMethod: String, $idempotencyKey: String!) {\n  topUpWallet(\n    amountMinor: $amountMinor\n    cardNumber: $cardNumber\n    paymentMethod: $paymentMethod\n    idempotencyKey: $idempotencyKey\n  ) {\n    wallet {\n      available {\n        amountMinor\n        currency\n        formatted\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}": types.TopUpWalletDocument,
    "query Wallet {\n  wallet {\n    available {\n      amountMinor\n      currency\n      formatted\n    }\n    held {\n      formatted\n    }\n    updatedAt\n  }\n}": types.WalletDocument,
};

/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = gql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function gql(source: string): unknown;

/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query Bike($id: ID!) {\n  bike(id: $id) {\n    ...BikeCard\n    station {\n      id\n      name\n    }\n  }\n}"): (typeof documents)["query Bike($id: ID!) {\n  bike(id: $id) {\n    ...BikeCard\n    station {\n      id\n      name\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "mutation CheckIdentity($document: String!) {\n  checkIdentity(document: $document) {\n    status\n    reason\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"): (typeof documents)["mutation CheckIdentity($document: String!) {\n  checkIdentity(document: $document) {\n    status\n    reason\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "mutation ConfirmEmail($code: String!) {\n  confirmEmail(code: $code) {\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"): (typeof documents)["mutation ConfirmEmail($code: String!) {\n  confirmEmail(code: $code) {\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "mutation EndRide($rideId: ID!, $latitude: Float, $longitude: Float, $batteryPercent: Int) {\n  endRide(\n    rideId: $rideId\n    latitude: $latitude\n    longitude: $longitude\n    batteryPercent: $batteryPercent\n  ) {\n    ride {\n      ...RideSummary\n      charge {\n        status\n        captured {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"): (typeof documents)["mutation EndRide($rideId: ID!, $latitude: Float, $longitude: Float, $batteryPercent: Int) {\n  endRide(\n    rideId: $rideId\n    latitude: $latitude\n    longitude: $longitude\n    batteryPercent: $batteryPercent\n  ) {\n    ride {\n      ...RideSummary\n      charge {\n        status\n        captured {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query FindBikes($lat: Float!, $lon: Float!, $radiusMeters: Int!, $first: Int, $after: String) {\n  bikesNear(\n    lat: $lat\n    lon: $lon\n    radiusMeters: $radiusMeters\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query FindBikes($lat: Float!, $lon: Float!, $radiusMeters: Int!, $first: Int, $after: String) {\n  bikesNear(\n    lat: $lat\n    lon: $lon\n    radiusMeters: $radiusMeters\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "fragment RiderProfile on User {\n  id\n  email\n  displayName\n  emailConfirmed\n  verified\n}\n\nfragment Problem on UserError {\n  code\n  message\n}\n\nfragment BikeCard on Bike {\n  id\n  model\n  status\n  batteryPercent\n  location {\n    latitude\n    longitude\n  }\n}\n\nfragment RideSummary on Ride {\n  id\n  status\n  startedAt\n  endedAt\n  fare {\n    formatted\n  }\n  distanceMeters\n  co2AvoidedGrams\n}"): (typeof documents)["fragment RiderProfile on User {\n  id\n  email\n  displayName\n  emailConfirmed\n  verified\n}\n\nfragment Problem on UserError {\n  code\n  message\n}\n\nfragment BikeCard on Bike {\n  id\n  model\n  status\n  batteryPercent\n  location {\n    latitude\n    longitude\n  }\n}\n\nfragment RideSummary on Ride {\n  id\n  status\n  startedAt\n  endedAt\n  fare {\n    formatted\n  }\n  distanceMeters\n  co2AvoidedGrams\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query HomeScreen($lat: Float!, $lon: Float!) {\n  me {\n    ...RiderProfile\n  }\n  wallet {\n    available {\n      amountMinor\n      formatted\n    }\n  }\n  tariff {\n    unlockFee {\n      formatted\n    }\n    perMinute {\n      formatted\n    }\n  }\n  myRides(first: 1) {\n    edges {\n      node {\n        ...RideSummary\n      }\n    }\n  }\n  bikesNear(lat: $lat, lon: $lon, radiusMeters: 1000, first: 10) {\n    edges {\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n  }\n}"): (typeof documents)["query HomeScreen($lat: Float!, $lon: Float!) {\n  me {\n    ...RiderProfile\n  }\n  wallet {\n    available {\n      amountMinor\n      formatted\n    }\n  }\n  tariff {\n    unlockFee {\n      formatted\n    }\n    perMinute {\n      formatted\n    }\n  }\n  myRides(first: 1) {\n    edges {\n      node {\n        ...RideSummary\n      }\n    }\n  }\n  bikesNear(lat: $lat, lon: $lon, radiusMeters: 1000, first: 10) {\n    edges {\n      distanceMeters\n      node {\n        ...BikeCard\n      }\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "mutation LogIn($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"): (typeof documents)["mutation LogIn($email: String!, $password: String!) {\n  login(email: $email, password: $password) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query MyImpact {\n  me {\n    id\n    impact {\n      rides\n      distanceMeters\n      movingSeconds\n      energyWh\n      co2AvoidedGrams\n    }\n  }\n}"): (typeof documents)["query MyImpact {\n  me {\n    id\n    impact {\n      rides\n      distanceMeters\n      movingSeconds\n      energyWh\n      co2AvoidedGrams\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query MyRides($first: Int, $after: String) {\n  myRides(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...RideSummary\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query MyRides($first: Int, $after: String) {\n  myRides(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...RideSummary\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query Ride($id: ID!) {\n  ride(id: $id) {\n    ...RideSummary\n    movingSeconds\n    energyWh\n    charge {\n      status\n      captured {\n        formatted\n      }\n      refunded {\n        formatted\n      }\n    }\n  }\n}"): (typeof documents)["query Ride($id: ID!) {\n  ride(id: $id) {\n    ...RideSummary\n    movingSeconds\n    energyWh\n    charge {\n      status\n      captured {\n        formatted\n      }\n      refunded {\n        formatted\n      }\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "mutation SignUp($email: String!, $password: String!, $displayName: String!) {\n  signUp(email: $email, password: $password, displayName: $displayName) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"): (typeof documents)["mutation SignUp($email: String!, $password: String!, $displayName: String!) {\n  signUp(email: $email, password: $password, displayName: $displayName) {\n    token\n    expiresAt\n    user {\n      ...RiderProfile\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "mutation StartRide($bikeId: ID!, $idempotencyKey: String!) {\n  startRide(bikeId: $bikeId, idempotencyKey: $idempotencyKey) {\n    ride {\n      ...RideSummary\n      bike {\n        ...BikeCard\n      }\n      charge {\n        status\n        held {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"): (typeof documents)["mutation StartRide($bikeId: ID!, $idempotencyKey: String!) {\n  startRide(bikeId: $bikeId, idempotencyKey: $idempotencyKey) {\n    ride {\n      ...RideSummary\n      bike {\n        ...BikeCard\n      }\n      charge {\n        status\n        held {\n          formatted\n        }\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "mutation TopUpWallet($amountMinor: Int!, $cardNumber: String, $paymentMethod: String, $idempotencyKey: String!) {\n  topUpWallet(\n    amountMinor: $amountMinor\n    cardNumber: $cardNumber\n    paymentMethod: $paymentMethod\n    idempotencyKey: $idempotencyKey\n  ) {\n    wallet {\n      available {\n        amountMinor\n        currency\n        formatted\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"): (typeof documents)["mutation TopUpWallet($amountMinor: Int!, $cardNumber: String, $paymentMethod: String, $idempotencyKey: String!) {\n  topUpWallet(\n    amountMinor: $amountMinor\n    cardNumber: $cardNumber\n    paymentMethod: $paymentMethod\n    idempotencyKey: $idempotencyKey\n  ) {\n    wallet {\n      available {\n        amountMinor\n        currency\n        formatted\n      }\n    }\n    errors {\n      ...Problem\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query Wallet {\n  wallet {\n    available {\n      amountMinor\n      currency\n      formatted\n    }\n    held {\n      formatted\n    }\n    updatedAt\n  }\n}"): (typeof documents)["query Wallet {\n  wallet {\n    available {\n      amountMinor\n      currency\n      formatted\n    }\n    held {\n      formatted\n    }\n    updatedAt\n  }\n}"];

export function gql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;