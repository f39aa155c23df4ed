// `npm run nats:accounts -- --out DIR [--resolver-dir PATH]`: everything the production bus needs
// for operator mode, with no `nsc` step. It makes the operator, the system and application accounts
// and their signing keys (or reuses those already in DIR/keys.json), and writes:
//   keys.json                       every seed: keep it offline (a vault); needed to run this again
//   nats/resolver.conf              the NATS servers' operator-mode settings (Secret nats-resolver)
//   telematics/<role>.creds         each workload's NATS user (Secrets telematics-*-nats); all.creds
//                                   is for one process in every role (a small site)
//   telematics/device-issuer.json   the device registry's keys (Secret telematics-device-issuer)
//   operators/operator.creds        for the people on call (nats CLI: --creds)
//   accounts.env                    the accounts' public keys (KEDA's trigger names the account)
// Running it again reuses the keys and issues fresh user credentials; the old ones keep working
// until the account's revocation list names them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applicationAccountJwt, createAccountKeys, publicKeyOf, resolverConfig, userCreds, type AccountKeys } from '../bus/nats-accounts';
import type { DeviceIssuerSecrets } from '../bus/nats-device-issuer';

/** Where the production NATS pods keep the resolver's JWTs: on the JetStream volume, so they survive a restart. */
export const PRODUCTION_RESOLVER_DIR = '/data/jwt';

export interface NatsAccountFiles {
  keys: AccountKeys;
  dir: string;
  resolverConfig: string;
  creds: (workload: 'telematics-processor' | 'telematics-edge' | 'telematics-api' | 'telematics-all' | 'operator') => string;
  deviceIssuer: string;
}

export async function writeNatsAccounts(dir: string, resolverDir = PRODUCTION_RESOLVER_DIR): Promise<NatsAccountFiles> {
  const keysFile = join(dir, 'keys.json');
  const keys = existsSync(keysFile) ? (JSON.parse(readFileSync(keysFile, 'utf8')) as AccountKeys) : createAccountKeys();
  const write = (path: string, content: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content, { mode: 0o600 });
    return join(dir, path);
  };
  write('keys.json', `${JSON.stringify(keys, null, 2)}\n`);
  const files = {
    'telematics-processor': write('telematics/processor.creds', await userCreds(keys, 'telematics-processor')),
    'telematics-edge': write('telematics/edge.creds', await userCreds(keys, 'telematics-edge')),
    'telematics-api': write('telematics/api.creds', await userCreds(keys, 'telematics-api')),
    'telematics-all': write('telematics/all.creds', await userCreds(keys, 'telematics-all')),
    operator: write('operators/operator.creds', await userCreds(keys, 'operator')),
  };
  const issuer: DeviceIssuerSecrets = {
    account: publicKeyOf(keys.application),
    accountSigningKey: keys.applicationSigning,
    operatorSigningKey: keys.operatorSigning,
    accountJwt: await applicationAccountJwt(keys),
    registryCreds: await userCreds(keys, 'device-registry'),
  };
  const deviceIssuer = write('telematics/device-issuer.json', `${JSON.stringify(issuer, null, 2)}\n`);
  const config = write('nats/resolver.conf', await resolverConfig(keys, resolverDir));
  write('accounts.env', `TELEMATICS_NATS_ACCOUNT=${publicKeyOf(keys.application)}\nSYSTEM_NATS_ACCOUNT=${publicKeyOf(keys.system)}\n`);
  return { keys, dir, resolverConfig: config, creds: (workload) => files[workload], deviceIssuer };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'resolver-dir': { type: 'string' } } });
  if (!values.out) {
    console.error('usage: npm run nats:accounts -- --out DIR [--resolver-dir /data/jwt]\n  DIR receives the keys and credentials (keep it out of git).');
    process.exit(2);
  }
  writeNatsAccounts(resolve(values.out), values['resolver-dir']).then(
    (files) => {
      console.log(`wrote the operator, the accounts and the users' credentials to ${files.dir}`);
      console.log(`application account (TELEMATICS_NATS_ACCOUNT): ${publicKeyOf(files.keys.application)}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
