// Faults injected into a gRPC server's answers, for the chaos tests only: a test sets
// GRPC_INJECT_FAULTS (and runs with NODE_ENV=test; anywhere else the setting is refused), and each
// call then, at random,
// - fails before it runs (`unavailable`: UNAVAILABLE, nothing done),
// - runs but its answer is lost (`lost`: the work is done, the caller hears UNAVAILABLE),
// - or answers only after `lateMs` (`late`: past the caller's deadline; the work is done).
// `callers` limits the faults to calls from those workloads (local mesh mode names them by their
// certificates). Health and reflection are never touched. For example:
// unavailable=0.08,lost=0.07,late=0.05,lateMs=1300,callers=ride (several: ride+gateway)
import { ConfigError } from '../config';

export interface InjectedFaults {
  unavailable: number;
  lost: number;
  late: number;
  lateMs: number;
  /** Only calls from these workloads; every call when empty. */
  callers: string[];
}

export type Fault = 'unavailable' | 'lost' | 'late' | undefined;

export function faultsFromEnvironment(env: NodeJS.ProcessEnv = process.env): InjectedFaults | undefined {
  const setting = env.GRPC_INJECT_FAULTS;
  if (!setting) return undefined;
  if (env.NODE_ENV !== 'test') throw new ConfigError('GRPC_INJECT_FAULTS is for the chaos tests only (NODE_ENV=test); unset it');
  const faults: InjectedFaults = { unavailable: 0, lost: 0, late: 0, lateMs: 1500, callers: [] };
  for (const part of setting.split(',')) {
    const [name, value] = part.split('=');
    if (name === 'callers') {
      faults.callers = value.split('+');
      continue;
    }
    const number = Number(value);
    if (!(name in faults) || !Number.isFinite(number) || number < 0 || (name !== 'lateMs' && number > 1)) {
      throw new ConfigError(`GRPC_INJECT_FAULTS: "${part}" must be unavailable, lost or late with a probability from 0 to 1, or lateMs with milliseconds`);
    }
    faults[name as 'unavailable' | 'lost' | 'late' | 'lateMs'] = number;
  }
  return faults;
}

/** Draws the fault for one call from `caller`, if any. */
export function drawFault(faults: InjectedFaults | undefined, caller: string | undefined, random = Math.random()): Fault {
  if (!faults || (faults.callers.length > 0 && !faults.callers.includes(caller ?? ''))) return undefined;
  if (random < faults.unavailable) return 'unavailable';
  if (random < faults.unavailable + faults.lost) return 'lost';
  if (random < faults.unavailable + faults.lost + faults.late) return 'late';
  return undefined;
}
