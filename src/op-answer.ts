// What the OP answered when an HTTP request to it failed: its status and its
// own error text, taken from openid-client's errors. Apart from oidc/ so that
// the logger (logger.describe) can use it without importing the protocol code.
import * as oidc from 'openid-client';

/** What the OP answered an HTTP request with, when it answered with anything but a result. */
export interface OpAnswer {
  opStatus: number;
  opError?: string;
  opErrorDescription?: string;
}

/** The OP's HTTP status and its own error text from an openid-client error (never a body, never a token). */
export function opAnswer(err: unknown): OpAnswer | undefined {
  if (err instanceof oidc.ResponseBodyError) {
    return { opStatus: err.status, opError: safeText(err.error), opErrorDescription: safeText(err.error_description) };
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const parameters = err.cause[0]?.parameters;
    return { opStatus: err.status, opError: safeText(parameters?.error), opErrorDescription: safeText(parameters?.error_description) };
  }
  // RESPONSE_IS_NOT_CONFORM / RESPONSE_IS_NOT_JSON: openid-client hands over the response itself.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (err instanceof oidc.ClientError && cause instanceof Response) return { opStatus: cause.status };
  return undefined;
}

/** The OP's own text, for a log line: one line, bounded. */
function safeText(value: unknown): string | undefined {
  return typeof value === 'string' ? value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300) : undefined;
}
