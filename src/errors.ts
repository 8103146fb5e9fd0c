// One error type for everything the BFF answers with an error: an HTTP status,
// a stable machine-readable code (documented in the README) and one sentence.
// The sentence is ours, never text from a token or from the OP.
import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

export class BffError extends Error {
  constructor(
    readonly status: number,
    /** One of the catalogue's codes (src/error-codes.ts): TypeScript refuses any other. */
    readonly code: ErrorCode,
    readonly description: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(description, options);
    this.name = 'BffError';
    this.headers = options?.headers ?? {};
  }

  /** Response headers the error comes with, e.g. Retry-After on 429. */
  readonly headers: Record<string, string>;
}

export const badRequest = (code: ErrorCode, description: string) => new BffError(400, code, description);

export const storeUnavailable = (cause?: unknown) =>
  new BffError(503, 'session_store_unavailable', 'The session store is unavailable; try again shortly.', { cause });
