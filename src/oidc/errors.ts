// Translate openid-client's errors into the BFF's error codes. Each refusal
// gets its own code (README: troubleshooting), and nothing of the OP's
// response body or of a token reaches the browser.
import * as oidc from 'openid-client';
import { isAuthorizationError, tokenErrorCode, tokenErrorStatus, type OpRequestKind, type OpTokenProblem } from '../error-codes.js';
import { BffError } from '../errors.js';

/** Which OP response was being processed: names the token in the error code. */
export type Phase = 'pushed_authorization_request' | 'authorization_response' | 'id_token' | 'userinfo';

const CLAIM_CODES: Record<string, OpTokenProblem | undefined> = {
  iss: 'issuer_mismatch',
  aud: 'audience_mismatch',
  azp: 'audience_mismatch',
  nonce: 'nonce_mismatch',
  sub: 'subject_mismatch',
  exp: 'expired',
  iat: 'issued_at_invalid',
  nbf: 'not_yet_valid',
  auth_time: 'auth_time_invalid',
  c_hash: 'hash_mismatch',
  s_hash: 'hash_mismatch',
};

export function toBffError(err: unknown, phase: Phase): BffError {
  if (err instanceof BffError) return err;
  // Our own refusals (jose-policy, op-fetch) come back wrapped by openid-client.
  if (err instanceof Error && err.cause instanceof BffError) return err.cause;

  if (err instanceof oidc.AuthorizationResponseError) {
    const code = isAuthorizationError(err.error) ? err.error : 'authorization_error';
    return new BffError(400, code, 'The OpenID Provider did not complete the login.', { cause: err });
  }
  const requestKind: OpRequestKind = phase === 'userinfo' ? 'userinfo' : phase === 'pushed_authorization_request' ? 'par' : 'token';
  // 401 with WWW-Authenticate (e.g. invalid_client), or an unexpected HTTP status: the OP refused the request.
  if (err instanceof oidc.WWWAuthenticateChallengeError || (err as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    return new BffError(502, `${requestKind}_request_failed`, 'The OpenID Provider refused the request.', { cause: err });
  }
  if (err instanceof oidc.ResponseBodyError) {
    if (err.error === 'invalid_grant') {
      return new BffError(400, 'invalid_grant', 'The authorization code is invalid, expired or already used.', { cause: err });
    }
    return new BffError(502, `${requestKind}_request_failed`, 'The OpenID Provider refused the request.', { cause: err });
  }
  if (isTimeout(err)) {
    return new BffError(504, 'op_timeout', 'The OpenID Provider did not answer in time.', { cause: err });
  }
  if (isNetworkError(err)) {
    return new BffError(502, 'op_unreachable', 'The OpenID Provider cannot be reached.', { cause: err });
  }
  if (phase === 'pushed_authorization_request') {
    return new BffError(502, 'par_request_failed', 'The pushed authorization request failed.', { cause: err });
  }
  if (phase === 'authorization_response') {
    // e.g. a missing or wrong RFC 9207 `iss` parameter
    return new BffError(400, 'invalid_authorization_response', 'The authorization response is invalid.', { cause: err });
  }
  return new BffError(
    tokenErrorStatus(phase),
    tokenErrorCode(phase, tokenProblem(err)),
    `The OpenID Provider's ${phase === 'id_token' ? 'ID token' : 'userinfo response'} was refused.`,
    { cause: err },
  );
}

/** The suffix of the error code: what exactly was wrong with the token. */
function tokenProblem(err: unknown): OpTokenProblem {
  if (!(err instanceof Error)) return 'invalid';
  // openid-client wraps oauth4webapi's error: the details sit one level down.
  const inner = err.cause instanceof Error ? err.cause : err;
  const code = (err as { code?: string }).code;
  const details = (inner as { cause?: { claim?: unknown; attribute?: unknown } }).cause;
  const claim = details?.claim ?? details?.attribute;
  const messages = `${err.message} ${inner.message}`;
  switch (code) {
    case 'OAUTH_DECRYPTION_FAILED':
      return 'decryption_failed';
    case 'OAUTH_KEY_SELECTION_FAILED':
      return 'signature_invalid';
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      return (typeof claim === 'string' && CLAIM_CODES[claim]) || 'invalid';
    case 'OAUTH_UNSUPPORTED_OPERATION':
      return messages.includes('JWE') ? 'decryption_failed' : 'invalid';
    default:
      break; // no code, or one that says less than the message: see below
  }
  if (messages.includes('signature verification failed')) return 'signature_invalid';
  if (messages.includes('"alg"')) return 'alg_not_allowed';
  return 'invalid';
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return (
    err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT')
  );
}

function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'fetch failed';
}
