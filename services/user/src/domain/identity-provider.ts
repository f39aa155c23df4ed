// What the user service needs from an identity-verification provider (a KYC service that checks a
// document against its holder). A real provider plugs in here; the built-in one is the sandbox
// (providers/sandbox-identity-provider.ts), which answers like a provider's test mode.
export type IdentityStatus = 'APPROVED' | 'REJECTED' | 'IN_REVIEW';

export interface IdentityOutcome {
  status: IdentityStatus;
  /** Why it was rejected, or what the review waits on; for the rider. */
  reason?: string;
  /** The provider's id for the check, for support. */
  reference: string;
}

export interface IdentityProvider {
  /**
   * Checks the document the rider submitted (the app's upload, as the provider's token for it).
   * Rejects with INVALID_ARGUMENT for a document it cannot read, UNAVAILABLE for a provider fault.
   */
  check(request: { riderId: string; document: string }): Promise<IdentityOutcome>;
}
