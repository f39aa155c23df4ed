// How many buckets a fleetImpact answer holds: the telematics subgraph bounds a request's range with
// these rules, and the gateway counts the buckets in the query's cost, so that both agree.
import { z } from 'zod';
export type ImpactGrouping = 'DAY' | 'HOUR';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const IMPACT_BUCKET_MS: Record<ImpactGrouping, number> = { DAY: DAY_MS, HOUR: HOUR_MS };

/** The longest range one request may ask for: a year by day, a month by hour. */
export const IMPACT_MAX_SPAN_MS: Record<ImpactGrouping, number> = { DAY: 366 * DAY_MS, HOUR: 31 * DAY_MS };
export const IMPACT_MAX_SPAN_TEXT = 'the range may span at most 366 days, or 31 days by hour';

/** The UTC buckets [from, to) touches. */
export function impactBuckets(from: Date, to: Date, groupBy: ImpactGrouping): number {
  const size = IMPACT_BUCKET_MS[groupBy];
  return Math.max(0, Math.ceil(to.getTime() / size) - Math.floor(from.getTime() / size));
}

/** The most buckets one allowed request can touch (its range unaligned to the buckets). */
export const impactMaxBuckets = (groupBy: ImpactGrouping) => IMPACT_MAX_SPAN_MS[groupBy] / IMPACT_BUCKET_MS[groupBy] + 1;

/** One end of a range: an RFC 3339 time, in the years the warehouse holds. */
export const impactTimeField = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-11-26T00:00:00Z' })
  .transform((value) => new Date(value))
  .refine((date) => date.getUTCFullYear() >= 2000 && date.getUTCFullYear() < 2100, 'must be in the years 2000 to 2099');
