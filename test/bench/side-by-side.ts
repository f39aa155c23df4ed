// `npm run bench:side`: configurations of the embedded stack compared side by side, for a machine
// whose speed drifts from minute to minute. `npm run bench` measures each tracing mode on its own
// warm start, one after another; when the host's load moves a configuration's CPU per request by 2x
// between consecutive loads, as on some shared machines, that cannot separate a 10% difference. Here
// every configuration runs at once, each on its own warm stack and data, and short loads alternate
// between them for many rounds (the order reversed every other round); the median of each is kept,
// so whatever the host does falls on all of them alike. It costs memory: one stack (about 1 GB) each.
//
//   npm run bench:side -- [--load=home|flows|getbike] [--rounds=10] [--seconds=3] name=ENV_JSON ...
//
// Each configuration is a name and the environment of its stack as JSON; the first is the reference.
// Unless one sets OTEL_SDK_DISABLED, every stack exports its spans (OTLP, protobuf) to a sink here,
// as `npm run bench`'s "exporting" does. For example, what sampling would save on the home screen:
//
//   npm run bench:side -- off='{"OTEL_SDK_DISABLED":"true"}' all='{}' none='{"OTEL_TRACES_SAMPLER":"always_off"}'
//
// Prints, per configuration, the median CPU per request of the six processes and the database
// server, as a multiple of the reference's, and the median rate with its ratio.
import { buildDist } from '../../services/local-stack/src/build';
import { inventoryClient } from '../support/grpc-clients';
import { OtlpReceiver } from '../support/otlp-receiver';
import { BenchData, benchCredentials, exportingTo, prepareCertificates, removeCertificates, stackCpuSeconds, startBenchStack, type StartedBench } from './lib/bench-stack';
import { closedLoop, httpLoad, percentile, type LoadResult } from './lib/load';
import { createAppCallers, createRiders, graphqlRequest, HOME_QUERY, rideFlows } from './lib/workloads';

const CLIENTS = 10;
const option = (name: string, fallback: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const LOADS = ['home', 'flows', 'getbike'] as const;
const LOAD = option('load', 'home') as (typeof LOADS)[number];
if (!LOADS.includes(LOAD)) throw new Error(`--load=${LOAD}: ${LOADS.join(', ')}`);
const ROUNDS = Number(option('rounds', '10'));
const SECONDS = Number(option('seconds', '3'));

interface Configuration {
  name: string;
  env: Record<string, string>;
}

/** One configuration's stack, ready to take a load, and what each round measured. */
interface Contender {
  name: string;
  data: BenchData;
  started: StartedBench;
  load: () => Promise<LoadResult>;
  close: () => void;
  cpuUs: number[];
  rates: number[];
}

function configurations(): Configuration[] {
  const given = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  if (given.length < 2) throw new Error('name at least two configurations, the reference first: name=\'{"VARIABLE":"value"}\' (see the top of test/bench/side-by-side.ts)');
  return given.map((arg) => {
    const at = arg.indexOf('=');
    if (at < 1) throw new Error(`${arg}: a configuration is name=ENV_JSON`);
    return { name: arg.slice(0, at), env: JSON.parse(arg.slice(at + 1)) as Record<string, string> };
  });
}

/** Starts a configuration's stack on data of its own: cold once for its riders, then warm with its environment. */
async function contender({ name, env }: Configuration, sink: OtlpReceiver): Promise<Contender> {
  const data = await BenchData.create('embedded');
  const cold = await startBenchStack(data);
  const callers = await createAppCallers(cold.stack, 2 * CLIENTS);
  const riders = await createRiders(cold.stack, CLIENTS);
  await cold.stack.stop();
  const exporting = env.OTEL_SDK_DISABLED === 'true' ? {} : exportingTo(sink.url);
  const started = await startBenchStack(data, { ...exporting, ...env });
  const { stack } = started;
  let load: () => Promise<LoadResult>;
  let close = () => {};
  if (LOAD === 'home') {
    const spec = graphqlRequest(stack.services.gateway.graphqlUrl, callers, HOME_QUERY);
    load = () => httpLoad(spec, { connections: CLIENTS, seconds: SECONDS });
  } else if (LOAD === 'flows') {
    const flows = rideFlows(stack.services.ride.address, riders, benchCredentials('operator'));
    load = () => closedLoop({ clients: CLIENTS, seconds: SECONDS, call: flows.flow });
    close = () => flows.close();
  } else {
    const client = inventoryClient(stack.services.inventory.address, benchCredentials('operator'));
    load = () => closedLoop({ clients: CLIENTS, seconds: SECONDS, call: () => client.getBike({ bikeId: riders[0].bikeId }) });
    close = () => client.close();
  }
  console.log(`  ${name}: started`);
  return { name, data, started, load, close, cpuUs: [], rates: [] };
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

async function main(): Promise<void> {
  const wanted = configurations();
  await buildDist(); // the stacks run compiled, as `npm start` runs them
  await prepareCertificates();
  const sink = await OtlpReceiver.start();
  const contenders: Contender[] = [];
  try {
    console.log(`side by side: ${wanted.length} stacks, the ${LOAD} load, ${ROUNDS} rounds of ${SECONDS} s each, ${CLIENTS} clients`);
    for (const each of wanted) contenders.push(await contender(each, sink));
    for (const each of contenders) await each.load(); // warm-up
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const each of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const before = stackCpuSeconds(each.started);
        const result = await each.load();
        each.cpuUs.push(((stackCpuSeconds(each.started) - before) * 1e6) / Math.max(1, result.rate * SECONDS));
        each.rates.push(result.rate);
      }
    }
    const [reference] = contenders;
    for (const each of contenders) {
      const cpu = median(each.cpuUs);
      const rate = median(each.rates);
      console.log(
        `  ${each.name.padEnd(16)} CPU ${cpu.toFixed(0)} µs a request (${(cpu / median(reference.cpuUs)).toFixed(2)}x), ` +
          `${rate.toFixed(0)}/s (ratio ${(rate / median(reference.rates)).toFixed(2)}); each round's CPU: ${each.cpuUs.map((value) => value.toFixed(0)).join(' ')}`,
      );
    }
  } finally {
    for (const each of contenders) {
      each.close();
      await each.started.stack.stop();
      await each.data.remove();
    }
    await sink.close();
    removeCertificates();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
