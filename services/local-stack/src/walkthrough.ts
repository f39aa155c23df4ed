// The copy-paste shell lines `npm start` prints: with curl and sed only, the demo rider logs in,
// finds a bike near the city centre and rides it; the bike's IoT unit reports the trip over the
// HTTPS device door; then the ride's charge, distance and CO2 avoided, the rider's impact, the
// wallet, and (with the ops key) the fleet's impact today. They send free-form queries, so they use
// the developer key (an app's key runs only its trusted documents). The npm start test runs these
// exact lines, so they keep working.
import { CITY_CENTRE } from './demo-data';

/** The trip the walkthrough's bike reports: from Centraal Station down the Damrak to Dam Square. */
const TRIP = [
  [52.3791, 4.9003, 80],
  [52.3776, 4.8983, 79.8],
  [52.3761, 4.8962, 79.5],
  [52.3746, 4.8944, 79.3],
  [52.3731, 4.8926, 79.0],
] as const;

export function curlWalkthrough(
  url: string,
  demo: { riderEmail: string; riderPassword: string; developerApiKey?: string; opsApiKey?: string },
  telematics: { deviceUrl: string; credentialsFile: string },
): string {
  const { latitude, longitude } = CITY_CENTRE;
  const field = (name: string) => `sed -E 's/.*"${name}":"([^"]+)".*/\\1/'`;
  return [
    '# --- walkthrough ---',
    `API=${url}; KEY=${demo.developerApiKey}; OPSKEY=${demo.opsApiKey}; DEVICES=${telematics.deviceUrl}`,
    `anon() { curl -s "$API" -H "x-api-key: $KEY" -H 'content-type: application/json' -d "$1"; echo; }`,
    `gql() { curl -s "$API" -H "x-api-key: $KEY" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$1"; echo; }`,
    `TOKEN=$(anon '{"query":"mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}","variables":{"e":"${demo.riderEmail}","p":"${demo.riderPassword}"}}' | ${field('token')})`,
    `anon '{"query":"{bikesNear(lat:${latitude},lon:${longitude},radiusMeters:1500,first:3){edges{distanceMeters node{id model batteryPercent lastSeenAt}}}}"}'`,
    `BIKE=$(anon '{"query":"{bikesNear(lat:${latitude},lon:${longitude},radiusMeters:1500,first:1){edges{node{id}}}}"}' | ${field('id')})`,
    `RIDE=$(gql '{"query":"mutation($b:ID!,$k:String!){startRide(bikeId:$b,idempotencyKey:$k){ride{id status}errors{message}}}","variables":{"b":"'$BIKE'","k":"'$(date +%s%N)'"}}' | ${field('id')})`,
    '# the bike reports its trip under its own id (riders see only its listing id, which changes after the trip; the ops key sees the id)',
    `FLEET=$(curl -s "$API" -H "x-api-key: $OPSKEY" -H 'content-type: application/json' -d '{"query":"{bike(id:\\"'$BIKE'\\"){id}}"}' | ${field('id')})`,
    '# ...with its own device key (real bikes stream over MQTT as they ride)',
    `DKEY=$(sed -nE 's/.*"'$FLEET'": "([^"]+)".*/\\1/p' ${telematics.credentialsFile}); T=$(date +%s)`,
    `reading() { printf '{"bikeId":"%s","sequence":%s,"recordTime":"%s","latitude":%s,"longitude":%s,"speedKmh":15,"batteryPercent":%s,"rideId":"%s"}\\n' $FLEET $((T*10+$1)) $(date -u -d @$((T-240+60*$1)) +%FT%TZ) $2 $3 $4 $RIDE; }`,
    `{ ${TRIP.map(([lat, lon, battery], index) => `reading ${index} ${lat} ${lon} ${battery}`).join('; ')}; } | curl -s "$DEVICES/v1/readings" -H "authorization: Bearer $FLEET:$DKEY" -H 'content-type: application/x-ndjson' --data-binary @-; echo`,
    `gql '{"query":"mutation($r:ID!){endRide(rideId:$r,latitude:52.3731,longitude:4.8926){ride{status fare{formatted}}errors{message}}}","variables":{"r":"'$RIDE'"}}'`,
    'sleep 2 # curated within 2 s of the acknowledgement',
    `gql '{"query":"query($r:ID!){ride(id:$r){charge{status captured{formatted}} distanceMeters energyWh co2AvoidedGrams} me{impact{rides distanceMeters co2AvoidedGrams}} wallet{available{formatted}}}","variables":{"r":"'$RIDE'"}}'`,
    `curl -s "$API" -H "x-api-key: $OPSKEY" -H 'content-type: application/json' -d '{"query":"{fleetImpact(from:\\"'$(date -u +%F)'T00:00:00Z\\",to:\\"'$(date -u -d tomorrow +%F)'T00:00:00Z\\",groupBy:HOUR){start rides bikes distanceMeters co2AvoidedGrams}}"}'; echo`,
    '# --- end ---',
  ].join('\n');
}
