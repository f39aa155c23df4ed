// Starts the four services as child processes on loopback: user, inventory and payment first,
// then ride, which is told where they listen.
import { ServiceProcess, type ServiceName } from './service-process';

export interface StackOptions {
  /** Environment for every service (DATA_DIR, LISTEN_HOST, ...). */
  env: Record<string, string>;
  /** Environment for one service only (its port, database URL, ...). */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  echo?: (line: string) => void;
}

export class LocalStack {
  private constructor(readonly services: Record<ServiceName, ServiceProcess>) {}

  static async start(options: StackOptions): Promise<LocalStack> {
    const start = (name: ServiceName, extra: Record<string, string> = {}) =>
      ServiceProcess.start(name, { ...options.env, ...options.serviceEnv?.[name], ...extra }, { echo: options.echo });
    const started = await Promise.allSettled([start('user'), start('inventory'), start('payment')]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
      throw (failed as PromiseRejectedResult).reason;
    }
    const [user, inventory, payment] = started.map((result) => (result as PromiseFulfilledResult<ServiceProcess>).value);
    const dependencyAddresses = {
      USER_SERVICE_ADDR: user.address,
      INVENTORY_SERVICE_ADDR: inventory.address,
      PAYMENT_SERVICE_ADDR: payment.address,
    };
    try {
      const ride = await start('ride', dependencyAddresses);
      return new LocalStack({ user, inventory, payment, ride });
    } catch (error) {
      await Promise.all([user.stop(), inventory.stop(), payment.stop()]);
      throw error;
    }
  }

  /** Starts one service again (after a crash in a test), on the address it had. */
  async restart(name: ServiceName, options: StackOptions): Promise<ServiceProcess> {
    const previous = this.services[name];
    await previous.stop();
    const [, port] = previous.address.split(':');
    const env: Record<string, string> = { ...options.env, ...options.serviceEnv?.[name], [`${name.toUpperCase()}_GRPC_PORT`]: port };
    if (name === 'ride') {
      Object.assign(env, {
        USER_SERVICE_ADDR: this.services.user.address,
        INVENTORY_SERVICE_ADDR: this.services.inventory.address,
        PAYMENT_SERVICE_ADDR: this.services.payment.address,
      });
    }
    this.services[name] = await ServiceProcess.start(name, env, { echo: options.echo });
    return this.services[name];
  }

  async stop(): Promise<void> {
    // Ride first, so nothing calls a service that is already gone.
    await this.services.ride.stop();
    await Promise.all([this.services.user.stop(), this.services.inventory.stop(), this.services.payment.stop()]);
  }
}
