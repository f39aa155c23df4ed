// The copy-paste shell lines `npm start` prints: with curl and sed only, the demo rider logs in,
// finds a bike near the city centre, rides it, and sees the charge and the wallet. The npm start
// test runs these exact lines, so they keep working.
import { CITY_CENTRE } from './demo-data';

export function curlWalkthrough(url: string, demo: { riderEmail: string; riderPassword: string; apiKey?: string }): string {
  const { latitude, longitude } = CITY_CENTRE;
  const field = (name: string) => `sed -E 's/.*"${name}":"([^"]+)".*/\\1/'`;
  return [
    '# --- walkthrough ---',
    `API=${url}; KEY=${demo.apiKey}`,
    `anon() { curl -s "$API" -H "x-api-key: $KEY" -H 'content-type: application/json' -d "$1"; echo; }`,
    `gql() { curl -s "$API" -H "x-api-key: $KEY" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$1"; echo; }`,
    `TOKEN=$(anon '{"query":"mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}","variables":{"e":"${demo.riderEmail}","p":"${demo.riderPassword}"}}' | ${field('token')})`,
    `anon '{"query":"{bikesNear(lat:${latitude},lon:${longitude},radiusMeters:1500,first:3){edges{distanceMeters node{id model batteryPercent}}}}"}'`,
    `BIKE=$(anon '{"query":"{bikesNear(lat:${latitude},lon:${longitude},radiusMeters:1500,first:1){edges{node{id}}}}"}' | ${field('id')})`,
    `RIDE=$(gql '{"query":"mutation($b:ID!,$k:String!){startRide(bikeId:$b,idempotencyKey:$k){ride{id status}errors{message}}}","variables":{"b":"'$BIKE'","k":"'$(date +%s%N)'"}}' | ${field('id')})`,
    `gql '{"query":"mutation($r:ID!){endRide(rideId:$r,latitude:52.3731,longitude:4.8926){ride{status fare{formatted}}errors{message}}}","variables":{"r":"'$RIDE'"}}'`,
    `gql '{"query":"query($r:ID!){ride(id:$r){charge{status captured{formatted}}}wallet{available{formatted}}}","variables":{"r":"'$RIDE'"}}'`,
    '# --- end ---',
  ].join('\n');
}
