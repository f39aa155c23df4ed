// Configuration is read once at start; a wrong value stops the process with a message that names
// the variable and says what it should be.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { commandOf } from '../../services/local-stack/src/launched-service';
import { ConfigError } from '../../services/platform/src/config';
import { readPaymentConfig } from '../../services/payment/src/config';
import { readRideConfig } from '../../services/ride/src/config';
import { readTelematicsConfig } from '../../services/telematics/src/config';
import { readUserConfig } from '../../services/user/src/config';
import { readGatewayConfig } from '../../supergraph/src/config';

describe('service configuration', () => {
  it('has working defaults: no variable is required to run on a laptop', () => {
    const config = readRideConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      grpcPort: 50053,
      database: { url: undefined, dataDir: join('.data', 'ride') },
      dependencies: { user: '127.0.0.1:50051', inventory: '127.0.0.1:50052', payment: '127.0.0.1:50054' },
    });
  });

  it('names every wrong variable in one message', () => {
    let error: unknown;
    try {
      readRideConfig({ RIDE_GRPC_PORT: 'eighty', PAYMENT_SERVICE_ADDR: 'payment', RIDE_DATABASE_URL: 'mysql://x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/RIDE_GRPC_PORT="eighty"/);
    expect(message).toMatch(/PAYMENT_SERVICE_ADDR="payment": must be host:port/);
    expect(message).toMatch(/RIDE_DATABASE_URL="mysql:\/\/x": must be a postgres:\/\/ URL/);
  });

  it('refuses a flow lease too short for the calls it covers', () => {
    expect(() => readRideConfig({ RIDE_CALL_DEADLINE_MS: '2000', RIDE_FLOW_LEASE_MS: '3000' })).toThrow(/more than twice RIDE_CALL_DEADLINE_MS/);
  });

  it('stops a service process with exit code 78 and the message, not a stack trace', () => {
    const run = spawnSync(process.execPath, commandOf('inventory'), {
      env: { ...process.env, INVENTORY_MIN_BATTERY_PERCENT: '150' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/inventory: invalid configuration:\n {2}INVENTORY_MIN_BATTERY_PERCENT="150"/);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('keeps the telematics lake beside its database, never inside it', () => {
    const config = readTelematicsConfig({ DATA_DIR: '/data' });
    expect(config).toMatchObject({ database: { dataDir: '/data/telematics' }, lakeDir: '/data/telematics-lake', rawZone: { url: '/data/telematics-lake' } });
  });

  it('refuses device doors beyond loopback without TLS, and accepts them with it or under Istio', () => {
    expect(() => readTelematicsConfig({ LISTEN_HOST: '0.0.0.0' })).toThrow(/device doors .* need TLS: set TELEMATICS_TLS_CERT_FILE/);
    expect(readTelematicsConfig({ LISTEN_HOST: '0.0.0.0', TELEMATICS_TLS_CERT_FILE: 'c.pem', TELEMATICS_TLS_KEY_FILE: 'k.pem' }).tls).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    expect(readTelematicsConfig({ LISTEN_HOST: '0.0.0.0', MESH_MODE: 'istio' }).tls).toBeUndefined();
  });

  it('enforces trusted documents at the gateway in production unless told otherwise, and nowhere else by default', () => {
    const production = { NODE_ENV: 'production', GBFS_BASE_URL: 'https://api.ecowheels.example/gbfs/v3' };
    expect(readGatewayConfig(production).trustedDocuments).toEqual({ mode: 'enforce', dir: join(__dirname, '..', '..', 'supergraph', 'app-manifests'), pollMs: 10_000 });
    expect(readGatewayConfig({ ...production, GATEWAY_TRUSTED_DOCUMENTS: 'off' }).trustedDocuments.mode).toBe('off');
    expect(readGatewayConfig({}).trustedDocuments.mode).toBe('off');
    expect(readGatewayConfig({ GATEWAY_TRUSTED_DOCUMENTS: 'enforce' }).trustedDocuments.mode).toBe('enforce');
    expect(() => readGatewayConfig({ GATEWAY_TRUSTED_DOCUMENTS: 'on' })).toThrow(/GATEWAY_TRUSTED_DOCUMENTS="on": must be "enforce" or "off"/);
  });

  describe('sandbox providers in production', () => {
    const production = { NODE_ENV: 'production' };
    const realUser = { USER_IDENTITY_PROVIDER: 'manual', USER_MAIL_PROVIDER: 'smtp', USER_SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465' };

    it('refuses each sandbox of the user service by its setting, saying why and what to set instead', () => {
      expect(() => readUserConfig(production)).toThrow(
        new ConfigError(
          'sandbox providers are refused with NODE_ENV=production:\n' +
            '  USER_IDENTITY_PROVIDER=sandbox: the sandbox identity provider approves anyone who sends its public test document (sandbox-passport-approved); choose USER_IDENTITY_PROVIDER=manual\n' +
            '  USER_MAIL_PROVIDER=sandbox: the sandbox mailer sends no mail (riders never get their codes); choose USER_MAIL_PROVIDER=smtp with USER_SMTP_URL\n' +
            'Choose real providers; only on a staging environment, set ALLOW_SANDBOX_PROVIDERS=true to allow the sandboxes.',
        ),
      );
      expect(() => readUserConfig({ ...production, ...realUser, USER_MAIL_PROVIDER: 'sandbox' })).toThrow(/^sandbox providers are refused with NODE_ENV=production:\n {2}USER_MAIL_PROVIDER=sandbox: /);
      expect(readUserConfig({ ...production, ...realUser }).sandboxWarning).toBeUndefined();
    });

    it('refuses the sandbox card processor', () => {
      expect(() => readPaymentConfig(production)).toThrow(
        /^sandbox providers are refused with NODE_ENV=production:\n {2}PAYMENT_CARD_PROVIDER=sandbox: the sandbox card processor credits wallets from public test card numbers, with money nobody paid; choose PAYMENT_CARD_PROVIDER=stripe\n/,
      );
    });

    it('allows the sandboxes on a staging environment that says so, with a warning to log', () => {
      expect(readUserConfig({ ...production, ALLOW_SANDBOX_PROVIDERS: 'true' }).sandboxWarning).toBe(
        'sandbox providers in production (USER_IDENTITY_PROVIDER=sandbox, USER_MAIL_PROVIDER=sandbox), allowed by ALLOW_SANDBOX_PROVIDERS=true: this must be a staging environment',
      );
      expect(() => readPaymentConfig({ ...production, ALLOW_SANDBOX_PROVIDERS: 'yes' })).toThrow(/ALLOW_SANDBOX_PROVIDERS="yes": must be "true" or "false"/);
    });

    it('keeps the sandboxes as the default outside production', () => {
      expect(readUserConfig({}).sandboxWarning).toBeUndefined();
      expect(readPaymentConfig({ NODE_ENV: 'development' }).cardProvider).toBe('sandbox');
    });

    it('needs an SMTP URL with the smtp mail provider', () => {
      expect(() => readUserConfig({ USER_MAIL_PROVIDER: 'smtp' })).toThrow(/USER_SMTP_URL: is required with USER_MAIL_PROVIDER=smtp/);
      expect(() => readUserConfig({ USER_MAIL_PROVIDER: 'smtp', USER_SMTP_URL: 'http://mail' })).toThrow(/USER_SMTP_URL="http:\/\/mail": must be an smtp:\/\/ or smtps:\/\/ URL/);
    });

    it.each(['user', 'payment'] as const)('stops the %s service at start in production on a sandbox, with exit code 78 and the message', (service) => {
      const run = spawnSync(process.execPath, commandOf(service), { env: { ...process.env, NODE_ENV: 'production', ALLOW_SANDBOX_PROVIDERS: 'false' }, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(78);
      expect(run.stderr).toMatch(new RegExp(`^${service}: sandbox providers are refused with NODE_ENV=production:\n {2}${service.toUpperCase()}_[A-Z_]+=sandbox: `));
    });
  });
});
