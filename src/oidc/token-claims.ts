// Claim rules openid-client and jose leave open, for the tokens the OP sends,
// checked once their signature has verified: when they were issued (`iat`)
// and who else they are for (`aud`). openid-client checks exp, nonce, iss and
// that `aud` names this client; it accepts any `iat` and extra audiences.
import type { JoseConfig } from '../config.js';
import { TOKEN_LABELS as LABELS, TokenRefusedError, type TokenKind } from './jose-policy.js';

/**
 * `iat` must lie within BFF_MAX_TOKEN_AGE in the past and no further than the
 * clock tolerance in the future (FAPI's suite sends a week-old and a
 * day-ahead token). `required`: a token without `iat` is refused too.
 */
export function checkIssuedAt(
  payload: Record<string, unknown>,
  kind: TokenKind,
  policy: Pick<JoseConfig, 'maxTokenAgeSeconds' | 'clockToleranceSeconds'>,
  required: boolean,
  now = Math.floor(Date.now() / 1000),
): void {
  const { iat } = payload;
  if (iat === undefined && !required) return;
  const refuse = (problem: 'issued_at_invalid' | 'expired', what: string) =>
    new TokenRefusedError(kind, problem, `The ${LABELS[kind]} was refused: ${what}.`);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw refuse('issued_at_invalid', 'it has no valid iat (issued at) claim');
  if (iat > now + policy.clockToleranceSeconds) throw refuse('issued_at_invalid', 'it was issued in the future (iat)');
  if (iat < now - policy.maxTokenAgeSeconds - policy.clockToleranceSeconds) {
    // A logout token has no exp: its age is its expiry (the README documents logout_token_expired).
    const problem = kind === 'logout_token' ? 'expired' : 'issued_at_invalid';
    throw refuse(problem, `it was issued more than ${policy.maxTokenAgeSeconds} seconds ago (iat, BFF_MAX_TOKEN_AGE)`);
  }
}

/**
 * OIDC Core 3.1.3.7 (3): `aud` must name this client, and a token that also
 * names audiences the RP does not trust is refused. BFF_TRUSTED_AUDIENCES
 * lists the others this deployment trusts.
 */
export function checkAudiences(payload: Record<string, unknown>, kind: TokenKind, clientId: string, trusted: readonly string[]): void {
  const audiences: unknown[] = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(clientId)) {
    throw new TokenRefusedError(kind, 'audience_mismatch', `The ${LABELS[kind]} was refused: it is not for this client (aud).`);
  }
  if (audiences.some((aud) => aud !== clientId && !(typeof aud === 'string' && trusted.includes(aud)))) {
    throw new TokenRefusedError(
      kind,
      'audience_untrusted',
      `The ${LABELS[kind]} was refused: it is also for an audience this BFF does not trust (aud, BFF_TRUSTED_AUDIENCES).`,
    );
  }
}
