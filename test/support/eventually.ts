// Waits for a condition that another process brings about (a recovery pass, a restart).
export async function eventually<T>(check: () => Promise<T>, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${options.what ?? 'condition'} did not hold in time: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}
