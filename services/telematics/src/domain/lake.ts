// What the domain needs of the lake: to keep lines durably in one of its zones, raw/ (everything
// that arrived, as it arrived) or rejects/ (every refusal, with its reason). zones/ implements it
// in a folder or a bucket.

export type ZoneName = 'raw' | 'rejects';

export interface ZoneLine {
  zone: ZoneName;
  /** Picks the partition (the hour it arrived, in UTC). */
  at: Date;
  /** One JSON document, without its newline. */
  line: string;
}

export interface ZoneWriter {
  /** Durably stores the lines; resolves only once they would survive a crash. */
  write(lines: readonly ZoneLine[]): Promise<void>;
}

/**
 * What a replay needs of rejects/, which is derived (the cleaner's refusals are remade when it
 * cleans again), so it may be edited; raw/ never is.
 */
export interface RejectsEditor {
  /** Removes the zone's partitions within [from, to), before a replay remakes them. */
  clear(zone: 'rejects', from: Date, to: Date): Promise<number>;
  /**
   * Rewrites each object of the zone's partition of the hour `hour` starts without the lines `drop`
   * picks (removes it when none is left), each all or nothing: a reader sees the old object or the
   * new one. Answers how many lines it took out.
   */
  removeLines(zone: 'rejects', hour: Date, drop: (line: string) => boolean): Promise<number>;
}
