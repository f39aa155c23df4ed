// Group commit: callers hand in work one by one, and whatever arrived while the previous flush
// was running is flushed together, so one fsync (and one database statement) covers every reading
// that arrived meanwhile. Durability then costs latency of one flush, not throughput. Up to
// `concurrency` flushes run at once, so one flush's fsync overlaps another's database write.

export class GroupCommit<Item, Result> {
  private queue: { item: Item; size: number; resolve: (result: Result) => void; reject: (error: unknown) => void }[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    /** Flushes a group; answers one result per item, in order. */
    private readonly flush: (items: Item[]) => Promise<Result[]>,
    /** How much one flush takes at most (by `size`), so a backlog is flushed in bounded steps. */
    private readonly maxGroupSize: number,
    /** Flushes at once at most. */
    private readonly concurrency = 1,
  ) {}

  add(item: Item, size = 1): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, size, resolve, reject });
      if (this.running.size < this.concurrency) {
        const drain: Promise<void> = this.drain().finally(() => this.running.delete(drain));
        this.running.add(drain);
      }
    });
  }

  /** Resolves once everything handed in so far has been flushed (or failed). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      let taken = 0;
      let total = 0;
      while (taken < this.queue.length && (taken === 0 || total + this.queue[taken].size <= this.maxGroupSize)) {
        total += this.queue[taken].size;
        taken += 1;
      }
      const group = this.queue.splice(0, taken);
      try {
        const results = await this.flush(group.map((entry) => entry.item));
        group.forEach((entry, index) => entry.resolve(results[index]));
      } catch (error) {
        for (const entry of group) entry.reject(error);
      }
    }
  }
}
