// The example tabs: the README's ride walkthrough, one operation each, in the order a rider goes.
// The first runs as it is with the demo API key; the ones that need a rider work once "Log in as the
// demo rider" has put the token in the headers.
export const EXAMPLE_TABS = [
  {
    query: `# Bikes free to ride near Amsterdam Centraal (needs only the API key).
query BikesNearCentraal {
  bikesNear(lat: 52.3791, lon: 4.9003, radiusMeters: 1500, first: 5) {
    edges { distanceMeters node { id model batteryPercent } }
  }
  tariff { unlockFee { formatted } perMinute { formatted } }
}`,
  },
  {
    query: `# Who am I, and how much is in my wallet? (Log in as the demo rider first.)
query Me {
  me { id email displayName verified wallet { available { formatted } } }
}`,
  },
  {
    query: `# Start a ride on a bike from the first tab; the key makes a retry safe.
mutation StartRide($bikeId: ID!, $key: String!) {
  startRide(bikeId: $bikeId, idempotencyKey: $key) { ride { id status } errors { code message } }
}`,
    variables: '{\n  "bikeId": "paste a bike id",\n  "key": "my-first-ride"\n}',
  },
  {
    query: `# End it where you are; the fare is captured from the hold.
mutation EndRide($rideId: ID!) {
  endRide(rideId: $rideId, latitude: 52.3791, longitude: 4.9003) { ride { status fare { formatted } } errors { code message } }
}`,
    variables: '{\n  "rideId": "paste the ride id"\n}',
  },
  {
    query: `# The ride afterwards: its charge, distance and CO2 avoided, and your rides so far.
query MyRides {
  myRides(first: 5) {
    edges { node { id status startedAt distanceMeters co2AvoidedGrams charge { status captured { formatted } } } }
  }
}`,
  },
];
