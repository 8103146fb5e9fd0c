// OpenID Connect Back-Channel Logout 1.0: validating the OP's logout_token.
// The JOSE policy applies as to id_tokens (size, algorithms, encryption when
// required); then the signature with the OP's keys and the spec's claims.
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import type { TokenProblem } from '../error-codes.js';
import type { KeyStore } from '../keys.js';
import type { ReplayGuard } from '../store/replay-guard.js';
import { openToken, TokenRefusedError } from './jose-policy.js';
import type { OpenIdProvider } from './provider.js';
import { BffError } from '../errors.js';

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Logout tokens older than this are refused (their jti is remembered this long). */
const MAX_AGE_SECONDS = 600;

export interface LogoutTarget {
  sub: string | undefined;
  sid: string | undefined;
  /** The replay-guard entry, to release if ending the sessions fails (so the OP's retry is accepted). */
  jti: string;
}

const refuse = (problem: TokenProblem<'logout_token'>, what: string, cause?: unknown) =>
  new TokenRefusedError('logout_token', problem, `The logout token was refused: ${what}.`, { cause });

export class LogoutTokenVerifier {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    private readonly config: Config,
    private readonly provider: OpenIdProvider,
    private readonly keys: KeyStore,
    private readonly replay: ReplayGuard,
  ) {}

  /** Validates the token; its jti counts as used from here (see `forget`). */
  async verify(logoutToken: string): Promise<LogoutTarget> {
    const meta = (await this.provider.configuration()).serverMetadata();
    const opened = await openToken(logoutToken, 'logout_token', this.config.jose, this.keys.current.decryption);
    const typ = opened.header.typ;
    if (typ !== undefined && typ !== 'logout+jwt' && typ !== 'JWT') throw refuse('invalid', 'its typ is not logout+jwt');

    // jose's remote JWKS: cached, and refetched on an unknown kid at most once per cooldown.
    this.jwks ??= createRemoteJWKSet(new URL(meta.jwks_uri!), {
      timeoutDuration: this.config.opTimeoutSeconds * 1000,
      cooldownDuration: 60_000,
      cacheMaxAge: 300_000,
      // The provider's fetch: with BFF_OP_FEDERATION_KEYS, jwks_uri is the signed JWKS, which it verifies.
      [customFetch]: this.provider.fetch as never,
    });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(opened.jws, this.jwks, {
        issuer: meta.issuer,
        audience: this.config.clientId,
        algorithms: this.config.jose.jwsAlgs,
        maxTokenAge: MAX_AGE_SECONDS,
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (err) {
      throw joseRefusal(err);
    }

    const events = payload.events as Record<string, unknown> | undefined;
    const event = events?.[BACKCHANNEL_LOGOUT_EVENT];
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw refuse('events_invalid', `it lacks the ${BACKCHANNEL_LOGOUT_EVENT} event`);
    }
    if ('nonce' in payload) throw refuse('nonce_present', 'it carries a nonce (an ID token is not a logout token)');
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    if (sub === undefined && sid === undefined) throw refuse('invalid', 'it names neither sid nor sub');
    const jti = `logout:${meta.issuer}:${String(payload.jti)}`;
    if (typeof payload.jti !== 'string' || !(await this.replay.firstUse(jti, MAX_AGE_SECONDS))) {
      throw refuse('replayed', 'its jti was used before');
    }
    return { sub, sid, jti };
  }
}

const CLAIM_PROBLEMS: Record<string, TokenProblem<'logout_token'> | undefined> = {
  iss: 'issuer_mismatch',
  aud: 'audience_mismatch',
  iat: 'expired',
};

function joseRefusal(err: unknown): BffError {
  // The OP's keys could not be fetched: the OP's problem, and a 5xx lets it retry.
  if (err instanceof joseErrors.JWKSTimeout)
    return new BffError(504, 'op_timeout', "The OpenID Provider's keys could not be fetched in time.", { cause: err });
  if (err instanceof TypeError || (err instanceof joseErrors.JOSEError && err.code === 'ERR_JOSE_GENERIC')) {
    return new BffError(502, 'op_unreachable', "The OpenID Provider's keys could not be fetched.", { cause: err });
  }
  if (err instanceof joseErrors.JWTExpired) return refuse('expired', 'it has expired', err);
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const problem = CLAIM_PROBLEMS[err.claim] ?? 'invalid';
    return refuse(problem, `its ${err.claim} claim is wrong`, err);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey) {
    return refuse('signature_invalid', "its signature does not verify with the OP's keys", err);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return refuse('alg_not_allowed', 'its algorithm is not allowed', err);
  return refuse('invalid', 'it is not a valid JWT', err);
}
