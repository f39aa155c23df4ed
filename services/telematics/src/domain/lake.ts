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
