// Waits for work that should finish, but no longer than a stop can afford: an exporter, a server
// or a child process may never answer. A rejection counts as finished; the work is not cancelled.
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}
