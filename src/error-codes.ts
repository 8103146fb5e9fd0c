// Every error code the BFF answers with, and its HTTP status(es): the one
// catalogue. BffError takes only an ErrorCode, so TypeScript refuses a code
// that is not here; the README's "## Errors" table lists exactly this set
// (test/errors.test.ts compares the two). Codes are a contract with the
// SPA's developers and with monitoring: add one here and in the README.

// Codes that are not part of a family below.
const FIXED_CODES = {
  invalid_login_param: [400],
  invalid_return_to: [400],
  login_requires_navigation: [403], // a cross-site <img>, fetch or frame must not start a login (routes/login.ts)
  too_many_logins: [429],
  invalid_state: [400],
  login_binding_mismatch: [400],
  invalid_authorization_response: [400],
  authorization_response_not_jwt: [400], // BFF_RESPONSE_MODE=jwt and a plain code/state callback (routes/callback.ts)
  authorization_error: [400], // an OP authorization error that is not a standard code (oidc/errors.ts)
  invalid_grant: [400],
  not_authenticated: [401],
  csrf_header_missing: [403],
  invalid_logout_sid: [400],
  not_found: [404],
  method_not_allowed: [405], // TRACE, TRACK and CONNECT are never relayed (routes/api-proxy.ts)
  invalid_path: [400],
  request_too_large: [413],
  request_timeout: [408], // an API request body that stopped arriving (BFF_API_BODY_TIMEOUT)
  too_many_requests: [429], // BFF_API_MAX_IN_FLIGHT
  upstream_unreachable: [502],
  upstream_timeout: [504],
  // 400 from the routes (and as an OP authorization error); 413 and 415 when body-parser refuses a body (http/error-response.ts).
  invalid_request: [400, 413, 415],
  session_store_unavailable: [503],
  refresh_in_progress: [503],
  id_token_acr_not_satisfied: [403],
  token_not_dpop_bound: [502],
  op_response_too_large: [502],
  op_encryption_key_missing: [502],
  op_unavailable: [503],
  federation_key_unavailable: [503], // every federation key is before its nbf or past its exp (federation/entity.ts)
  // 500 for anything unexpected; 400 when the OP's authorization response says server_error.
  server_error: [400, 500],
} as const satisfies Record<string, readonly number[]>;

/** OAuth/OIDC authorization error codes an OP may send to the redirect_uri; passed on as they are (400). */
export const AUTHORIZATION_ERRORS = [
  'access_denied',
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required',
  'invalid_request',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_response_type',
  'server_error',
  'temporarily_unavailable',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
  'invalid_request_uri',
  'invalid_request_object',
] as const;

/** The JOSE policy's refusals, for every token the OP sends (oidc/jose-policy.ts). */
export const JOSE_POLICY_PROBLEMS = [
  'too_large',
  'header_too_large',
  'malformed',
  'not_encrypted',
  'not_signed',
  'alg_not_allowed',
  'header_not_allowed',
  'compression_not_allowed',
  'encryption_alg_not_allowed',
  'encryption_enc_not_allowed',
  'decryption_failed',
] as const;

/** What openid-client finds wrong with an id_token or a userinfo response (oidc/errors.ts). */
export const OP_TOKEN_PROBLEMS = [
  'decryption_failed',
  'signature_invalid',
  'alg_not_allowed',
  'issuer_mismatch',
  'audience_mismatch',
  'audience_untrusted',
  'nonce_mismatch',
  'subject_mismatch',
  'expired',
  'issued_at_invalid',
  'not_yet_valid',
  'auth_time_invalid',
  'hash_mismatch',
  'invalid',
] as const;

/** What the back-channel logout checks find wrong with a logout token (oidc/logout-token.ts). */
export const LOGOUT_TOKEN_PROBLEMS = [
  'invalid',
  'events_invalid',
  'nonce_present',
  'replayed',
  'expired',
  'issued_at_invalid',
  'issuer_mismatch',
  'audience_mismatch',
  'audience_untrusted',
  'signature_invalid',
  'alg_not_allowed',
] as const;

/** Every interaction with the OP: a failed one is `<step>_<failure>` (oidc/errors.ts: opStepError). */
export const OP_STEPS = ['discovery', 'par', 'token', 'userinfo', 'revocation', 'jwks'] as const;
/**
 * Why an OP interaction failed: `refused` (HTTP 401/403, or invalid_client/unauthorized_client: the client is not
 * accepted), `request_failed` (another OAuth error), `response_invalid` (an answer that is neither a result nor an
 * OAuth error: an unexpected status, not JSON), `unreachable` (no connection), `timeout` (BFF_OP_TIMEOUT).
 * Discovery and revocation failures are only logged: discovery answers op_unavailable, revocation never fails a request.
 */
export const OP_FAILURES = ['refused', 'request_failed', 'response_invalid', 'unreachable', 'timeout'] as const;

export type AuthorizationError = (typeof AUTHORIZATION_ERRORS)[number];
export type JosePolicyProblem = (typeof JOSE_POLICY_PROBLEMS)[number];
export type OpTokenProblem = (typeof OP_TOKEN_PROBLEMS)[number];
export type LogoutTokenProblem = (typeof LOGOUT_TOKEN_PROBLEMS)[number];
export type OpStep = (typeof OP_STEPS)[number];
export type OpFailure = (typeof OP_FAILURES)[number];

/** The tokens the OP sends (authorization_response: a JARM response); each names its error codes, `<kind>_<problem>`. */
export type TokenKind = 'id_token' | 'userinfo' | 'logout_token' | 'authorization_response';
/** The problems a token of kind K can have: the policy's, then its own checks'. */
export type TokenProblem<K extends TokenKind> = JosePolicyProblem | (K extends 'logout_token' ? LogoutTokenProblem : OpTokenProblem);

export type ErrorCode =
  | keyof typeof FIXED_CODES
  | AuthorizationError
  | `${'id_token' | 'userinfo' | 'authorization_response'}_${TokenProblem<'id_token'>}`
  | `logout_token_${TokenProblem<'logout_token'>}`
  | `${OpStep}_${OpFailure}`;

/** The code of a refused token. The one place a token code is put together from its parts. */
export function tokenErrorCode<K extends TokenKind>(kind: K, problem: TokenProblem<K>): ErrorCode {
  return `${kind}_${problem}` as ErrorCode;
}

/**
 * A bad token from the OP's back channel is the OP's fault (502); a bad logout token is the caller's request (400),
 * and so is a bad JARM response, which the browser brought.
 */
export function tokenErrorStatus(kind: TokenKind): 400 | 502 {
  return kind === 'logout_token' || kind === 'authorization_response' ? 400 : 502;
}

/** The code of a failed OP interaction. The one place such a code is put together from its parts. */
export function opStepErrorCode(step: OpStep, failure: OpFailure): ErrorCode {
  return `${step}_${failure}`;
}

export function opStepErrorStatus(failure: OpFailure): 502 | 504 {
  return failure === 'timeout' ? 504 : 502;
}

export function isAuthorizationError(code: string): code is AuthorizationError {
  return (AUTHORIZATION_ERRORS as readonly string[]).includes(code);
}

/** Every code with its statuses, for the documentation test and for tools. */
export function errorCatalogue(): Map<ErrorCode, number[]> {
  const catalogue = new Map<ErrorCode, number[]>();
  const add = (code: ErrorCode, status: number) => {
    const statuses = catalogue.get(code) ?? [];
    if (!statuses.includes(status))
      catalogue.set(
        code,
        [...statuses, status].sort((a, b) => a - b),
      );
  };
  for (const [code, statuses] of Object.entries(FIXED_CODES)) for (const status of statuses) add(code as ErrorCode, status);
  for (const code of AUTHORIZATION_ERRORS) add(code, 400);
  for (const kind of ['id_token', 'userinfo', 'authorization_response'] as const) {
    for (const problem of [...JOSE_POLICY_PROBLEMS, ...OP_TOKEN_PROBLEMS]) add(tokenErrorCode(kind, problem), tokenErrorStatus(kind));
  }
  for (const problem of [...JOSE_POLICY_PROBLEMS, ...LOGOUT_TOKEN_PROBLEMS])
    add(tokenErrorCode('logout_token', problem), tokenErrorStatus('logout_token'));
  for (const step of OP_STEPS) for (const failure of OP_FAILURES) add(opStepErrorCode(step, failure), opStepErrorStatus(failure));
  return catalogue;
}
