// The raw zone: the record of everything that arrived (raw/) and of everything refused, with the
// reason (rejects/). Append-only (but for a replay, which may edit rejects/: it is derived),
// partitioned by the hour the input arrived in:
// <zone>/dt=YYYY-MM-DD/hour=HH/<object>.ndjson. Locally it is a folder; in production any
// S3-compatible store. Both adapters promise the same thing: when write() resolves, the lines are durable.
import type { RejectsEditor, ZoneLine, ZoneName, ZoneWriter } from '../domain/lake';

export type { ZoneLine, ZoneName };

export interface ZoneStore extends ZoneWriter, RejectsEditor {
  /** The objects of a zone whose partition hour is within [from, to), in time order. */
  list(zone: ZoneName, from: Date, to: Date): Promise<string[]>;
  /** The lines of one object listed by list(). */
  read(key: string): Promise<string[]>;
  /** Where it is, for logs ("/data/telematics" or "s3://bucket/prefix"). */
  readonly location: string;
  close(): Promise<void>;
}

/** The last hour hourPartition() was asked for, and its answer: a batch's inputs nearly all share one. */
let lastHour = Number.NaN;
let lastPartition = '';

/** "dt=2026-11-26/hour=09": the hour partition (UTC) of the lake's zones and curated files. */
export function hourPartition(at: Date): string {
  // Asked once per input a batch holds: a date's ISO text only when the hour changes.
  const hour = Math.floor(at.getTime() / 3_600_000);
  if (hour !== lastHour) {
    const iso = at.toISOString(); // an invalid Date throws here, as it always did (NaN is never lastHour)
    lastPartition = `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
    lastHour = hour;
  }
  return lastPartition;
}

/** "raw/dt=2026-11-26/hour=09" */
export const partitionOf = (zone: ZoneName, at: Date): string => `${zone}/${hourPartition(at)}`;

/** The hour a partition path names, or undefined when the path is not a partition. */
export function hourOfPartition(path: string): Date | undefined {
  const match = /dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})/.exec(path);
  return match ? new Date(`${match[1]}T${match[2]}:00:00Z`) : undefined;
}

/** Groups lines by zone partition, keeping their order. */
export function byPartition(lines: readonly ZoneLine[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { zone, at, line } of lines) {
    const partition = partitionOf(zone, at);
    const group = groups.get(partition);
    if (group) group.push(line);
    else groups.set(partition, [line]);
  }
  return groups;
}
