// What every door answers a batch with: how many readings were accepted, already known, queued on
// the stream, and refused, and why each refusal (the first thousand are listed; all are kept under
// rejects/).
import type { IntakeVerdict } from './reading';

/** Rejections listed in a summary at most. */
const MAX_LISTED_REJECTIONS = 1000;

export interface ListedRejection {
  /** Position of the input in the batch, stream or file (0-based). */
  index: number;
  bikeId: string;
  sequence: number;
  rule: string;
  reason: string;
}

export class IngestSummary {
  acceptedCount = 0;
  duplicateCount = 0;
  /** Inputs kept in the stream, to be told apart as new or duplicate by the processor. */
  queuedCount = 0;
  rejectedCount = 0;
  readonly rejections: ListedRejection[] = [];

  /** Counts the verdicts of inputs that start at `firstIndex`. */
  add(verdicts: readonly IntakeVerdict[], firstIndex: number): void {
    verdicts.forEach((verdict, offset) => {
      if (verdict.kind === 'accepted') this.acceptedCount += 1;
      else if (verdict.kind === 'duplicate') this.duplicateCount += 1;
      else if (verdict.kind === 'queued') this.queuedCount += 1;
      else {
        this.rejectedCount += 1;
        if (this.rejections.length < MAX_LISTED_REJECTIONS) {
          const { rule, reason, bikeId, sequence } = verdict.rejection;
          this.rejections.push({ index: firstIndex + offset, bikeId: bikeId ?? '', sequence: sequence ?? 0, rule, reason });
        }
      }
    });
  }
}
