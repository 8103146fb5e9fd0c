// OpenID Connect Back-Channel Logout 1.0: validating the OP's logout_token.
// The JOSE policy applies as to id_tokens (size, algorithms, encryption when
// required); then the signature with the OP's keys and the spec's claims.
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import type { TokenProblem } from '../error-codes.js';
import type { KeyStore } from '../keys.js';
import type { ReplayGuard } from '../store/replay-guard.js';
import { openToken, TokenRefusedError } from './jose-policy.js';
import { KeySelectionError } from './op-keys.js';
import type { OpenIdProvider } from './provider.js';
import { checkAudiences, checkIssuedAt } from './token-claims.js';
import { BffError } from '../errors.js';

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutTarget {
  sub: string | undefined;
  sid: string | undefined;
  /** The replay-guard entry, to release if ending the sessions fails (so the OP's retry is accepted). */
  jti: string;
}

const refuse = (problem: TokenProblem<'logout_token'>, what: string, cause?: unknown) =>
  new TokenRefusedError('logout_token', problem, `The logout token was refused: ${what}.`, { cause });

export class LogoutTokenVerifier {
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

    // The OP's keys come from the one cache (op-keys.ts): refetched at once
    // for an unknown kid, with the back-offs that stop a refetch storm.
    const { jose } = this.config;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(opened.jws, (header) => this.provider.opKeys.verificationKey(header.alg, header.kid), {
        issuer: meta.issuer,
        audience: this.config.clientId,
        algorithms: jose.jwsAlgs,
        clockTolerance: jose.clockToleranceSeconds,
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (err) {
      throw joseRefusal(err);
    }
    checkAudiences(payload, 'logout_token', this.config.clientId, jose.trustedAudiences);
    checkIssuedAt(payload, 'logout_token', jose, true);

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
    // Remembered as long as checkIssuedAt would accept the token.
    const rememberSeconds = jose.maxTokenAgeSeconds + 2 * jose.clockToleranceSeconds;
    if (typeof payload.jti !== 'string' || !(await this.replay.firstUse(jti, rememberSeconds))) {
      throw refuse('replayed', 'its jti was used before');
    }
    return { sub, sid, jti };
  }
}

const CLAIM_PROBLEMS: Record<string, TokenProblem<'logout_token'> | undefined> = {
  iss: 'issuer_mismatch',
  aud: 'audience_mismatch',
  iat: 'issued_at_invalid',
};

function joseRefusal(err: unknown): BffError {
  // The OP's keys could not be fetched (op-keys.ts names the step): the OP's problem, and a 5xx lets it retry.
  if (err instanceof BffError) return err;
  if (err instanceof KeySelectionError) return refuse('signature_invalid', err.message, err);
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
