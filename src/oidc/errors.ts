// Translate openid-client's errors into the BFF's error codes. Each refusal
// gets its own code (README: troubleshooting), and nothing of the OP's
// response body or of a token reaches the browser. A failed OP interaction is
// named by its step (discovery, par, token, userinfo, revocation, jwks) and
// why it failed; the log line gets the OP's HTTP status and its own
// error/error_description (src/op-answer.ts, used by logger.describe).
import * as oidc from 'openid-client';
import {
  isAuthorizationError,
  opStepErrorCode,
  opStepErrorStatus,
  tokenErrorCode,
  tokenErrorStatus,
  type OpFailure,
  type OpStep,
  type OpTokenProblem,
} from '../error-codes.js';
import { BffError } from '../errors.js';
import { opAnswer, type OpAnswer } from '../op-answer.js';
import { TOKEN_LABELS } from './jose-policy.js';

/** Which OP response was being processed: names the step or the token in the error code. */
export type Phase =
  | 'pushed_authorization_request'
  | 'authorization_response'
  | 'jarm' // a JARM response (BFF_RESPONSE_MODE=jwt): its codes are authorization_response_<problem>
  | 'id_token'
  | 'userinfo'
  | 'revocation'
  | 'discovery';

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

const STEP_DESCRIPTIONS: Record<OpFailure, string> = {
  refused: 'The OpenID Provider refused this client',
  request_failed: 'The OpenID Provider refused the request',
  response_invalid: 'The OpenID Provider sent an unexpected answer',
  unreachable: 'The OpenID Provider cannot be reached',
  timeout: 'The OpenID Provider did not answer in time',
};
const STEP_NAMES: Record<OpStep, string> = {
  discovery: 'discovery',
  par: 'pushed authorization request',
  token: 'token request',
  userinfo: 'userinfo request',
  revocation: 'token revocation',
  jwks: 'key set (JWKS) request',
};

/** A failed interaction with the OP, named by its step and why: code `<step>_<failure>`. */
export function opStepError(step: OpStep, failure: OpFailure, cause?: unknown): BffError {
  const description = `${STEP_DESCRIPTIONS[failure]} (${STEP_NAMES[step]}).`;
  return new BffError(opStepErrorStatus(failure), opStepErrorCode(step, failure), description, { cause });
}

/** Why an answer is a failure: the client refused, an OAuth error, or neither. */
export function answerFailure(answer: OpAnswer): OpFailure {
  if (answer.opStatus === 401 || answer.opStatus === 403) return 'refused';
  if (answer.opError === 'invalid_client' || answer.opError === 'unauthorized_client') return 'refused';
  return answer.opError !== undefined ? 'request_failed' : 'response_invalid';
}

export function stepOf(phase: Phase): OpStep {
  switch (phase) {
    case 'pushed_authorization_request':
      return 'par';
    case 'userinfo':
    case 'revocation':
    case 'discovery':
      return phase;
    case 'jarm':
      return 'jwks'; // the one request verifying a JARM response makes
    default:
      return 'token';
  }
}

export function toBffError(err: unknown, phase: Phase): BffError {
  if (err instanceof BffError) return err;
  // Our own refusals (jose-policy, op-fetch) come back wrapped by openid-client.
  if (err instanceof Error && err.cause instanceof BffError) return err.cause;

  if (err instanceof oidc.AuthorizationResponseError) {
    const code = isAuthorizationError(err.error) ? err.error : 'authorization_error';
    return new BffError(400, code, 'The OpenID Provider did not complete the login.', { cause: err });
  }
  const step = stepOf(phase);
  // The OP answered with an error, or with something that is neither an error nor a result: the step failed,
  // whatever token was expected (a bare 401/403 from the token endpoint is not a bad id_token).
  const answer = opAnswer(err);
  if (answer !== undefined) {
    if (step === 'token' && answer.opError === 'invalid_grant') {
      return new BffError(400, 'invalid_grant', 'The authorization code is invalid, expired or already used.', { cause: err });
    }
    return opStepError(step, answerFailure(answer), err);
  }
  if (isTimeout(err)) return opStepError(step, 'timeout', err);
  if (isNetworkError(err)) return opStepError(step, 'unreachable', err);
  if (phase === 'pushed_authorization_request' || phase === 'revocation' || phase === 'discovery') {
    return opStepError(step, 'response_invalid', err);
  }
  if (phase === 'authorization_response') {
    // e.g. a missing or wrong RFC 9207 `iss` parameter
    return new BffError(400, 'invalid_authorization_response', 'The authorization response is invalid.', { cause: err });
  }
  const kind = phase === 'jarm' ? 'authorization_response' : phase;
  const what = TOKEN_LABELS[kind];
  return new BffError(tokenErrorStatus(kind), tokenErrorCode(kind, tokenProblem(err)), `The OpenID Provider's ${what} was refused.`, {
    cause: err,
  });
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

export function isTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return (
    err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT')
  );
}

export function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'fetch failed';
}
