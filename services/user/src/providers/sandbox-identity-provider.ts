// The built-in identity provider: a sandbox that answers like a KYC provider's test mode. Only the
// documented test documents below are accepted (the README lists them); no identity is checked.
import { randomUUID } from 'node:crypto';
import { invalidArgument, unavailable } from '../../../platform/src/errors';
import type { IdentityOutcome, IdentityProvider } from '../domain/identity-provider';

/** The test documents, as documented in the README. */
export const SANDBOX_TEST_DOCUMENTS: Record<string, Omit<IdentityOutcome, 'reference'> | 'provider_error'> = {
  'sandbox-passport-approved': { status: 'APPROVED' },
  'sandbox-licence-approved': { status: 'APPROVED' },
  'sandbox-passport-expired': { status: 'REJECTED', reason: 'the document has expired; submit a valid one' },
  'sandbox-photo-mismatch': { status: 'REJECTED', reason: 'the photo does not match the selfie; submit the check again' },
  'sandbox-needs-review': { status: 'IN_REVIEW', reason: 'a person will look at the document; this usually takes a day' },
  'sandbox-provider-error': 'provider_error',
};

export class SandboxIdentityProvider implements IdentityProvider {
  async check(request: { riderId: string; document: string }): Promise<IdentityOutcome> {
    const outcome = SANDBOX_TEST_DOCUMENTS[request.document];
    if (!outcome) {
      throw invalidArgument(`the sandbox identity provider accepts only its test documents (${Object.keys(SANDBOX_TEST_DOCUMENTS).join(', ')}), never real ones`);
    }
    if (outcome === 'provider_error') throw unavailable('the identity provider had a temporary error; submit the check again');
    return { ...outcome, reference: `sandbox-${randomUUID()}` };
  }
}
