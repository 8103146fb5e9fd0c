// Access tokens for whatever needs one (the API proxy), refreshed shortly
// before they expire, and refreshed ONCE per session across all instances:
// a Redis lock whose lease outlives the token request serialises refreshes,
// and whoever waits reuses the result from the store. Rotating refresh
// tokens are therefore never used twice (which OPs punish by revoking the
// whole grant, the oauth2-proxy logout bug).
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import { describe, type Logger } from '../logger.js';
import type { BffMetrics } from '../metrics.js';
import type { SessionTokens, SignedInData } from '../session/data.js';
import { nowSeconds, type Sessions } from '../session/sessions.js';
import type { Locks } from '../store/locks.js';
import type { Dpop, DpopPrivateJwk } from './dpop.js';
import { toBffError } from './errors.js';
import type { OpenIdProvider } from './provider.js';

/** Refresh when the access token expires within this many seconds. */
export const REFRESH_SKEW_SECONDS = 60;
/** A freshly refreshed token that an API still refuses is not refreshed again so soon: it would not help. */
const REJECTED_REFRESH_COOLDOWN_SECONDS = 10;
const POLL_MS = 25;

export const sessionEnded = () => new BffError(401, 'not_authenticated', 'The session has ended; sign in again.');

export class AccessTokens {
  constructor(
    private readonly config: Config,
    private readonly provider: OpenIdProvider,
    private readonly sessions: Sessions,
    private readonly locks: Locks,
    private readonly logger: Logger,
    private readonly metrics: BffMetrics,
    private readonly dpop: Dpop,
  ) {}

  /**
   * Session `sessionId`'s tokens (`current`, as just loaded), refreshed first when they
   * expire soon, or when `rejectedAccessToken` (which an API refused) is still the current one.
   */
  async forSession(sessionId: string, current: SessionTokens, rejectedAccessToken?: string): Promise<SessionTokens> {
    if (rejectedAccessToken !== undefined) {
      const fresh =
        current.accessToken === rejectedAccessToken &&
        current.refreshedAt !== undefined &&
        nowSeconds() - current.refreshedAt < REJECTED_REFRESH_COOLDOWN_SECONDS;
      return fresh ? current : this.refresh(sessionId, rejectedAccessToken);
    }
    if (!expiresSoon(current)) return current;
    // The store is the only copy that counts: the refresh writes there, under a lock.
    return this.refresh(sessionId, current.accessToken);
  }

  /**
   * Replaces `staleAccessToken` in session `sessionId`, unless another request
   * (on any instance) already did: then its result is returned.
   */
  async refresh(sessionId: string, staleAccessToken: string): Promise<SessionTokens> {
    const lockName = `refresh:${sessionId}`;
    // The lease outlives a token request that runs into its timeout.
    const leaseMs = this.config.opTimeoutSeconds * 2000 + 5000;
    const deadline = Date.now() + leaseMs + 1000;
    while (Date.now() < deadline) {
      const lease = await this.locks.acquire(lockName, leaseMs);
      if (lease === undefined) {
        await sleep(POLL_MS);
        const stored = await this.load(sessionId);
        if (stored.tokens.accessToken !== staleAccessToken) return stored.tokens; // someone else refreshed
        continue;
      }
      try {
        const stored = await this.load(sessionId);
        if (stored.tokens.accessToken !== staleAccessToken) return stored.tokens;
        return await this.refreshStored(sessionId, stored);
      } finally {
        await this.locks.release(lockName, lease).catch(() => {});
      }
    }
    throw new BffError(503, 'refresh_in_progress', "The session's tokens are being refreshed; try again.");
  }

  private async refreshStored(sessionId: string, stored: SignedInData): Promise<SessionTokens> {
    const refreshToken = stored.tokens.refreshToken;
    if (refreshToken === undefined) {
      // Nothing to refresh with: the session cannot serve APIs any more.
      await this.end(sessionId, stored);
      throw sessionEnded();
    }
    let response: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
    try {
      const configuration = await this.provider.configuration();
      // A DPoP-bound session stays bound: the new token is bound to the same key.
      response = await oidc.refreshTokenGrant(
        configuration,
        refreshToken,
        undefined,
        await this.dpop.opOptions(configuration, stored.tokens.dpopKey),
      );
    } catch (err) {
      const error = toBffError(err, 'id_token');
      this.metrics.refreshes.inc({ outcome: error.code === 'invalid_grant' ? 'rejected' : 'failed' });
      if (error.code === 'invalid_grant') {
        // The OP no longer honours the grant: end the session cleanly (401 next time).
        this.logger.info({ event: 'refresh_rejected' }, 'refresh token rejected by the OP; session ended');
        await this.end(sessionId, stored);
        throw sessionEnded();
      }
      throw error;
    }
    let dpopKey: DpopPrivateJwk | undefined;
    try {
      dpopKey = this.dpop.boundKey(response.token_type, stored.tokens.dpopKey);
    } catch (err) {
      // BFF_DPOP=on and the OP answered with a bearer token: the session cannot go on, and
      // the (possibly rotated) refresh token it just got is revoked rather than left usable.
      this.metrics.refreshes.inc({ outcome: 'failed' });
      this.logger.warn({ event: 'refresh_not_dpop_bound' }, 'the OP issued a bearer token on refresh; session ended');
      await this.end(sessionId, stored);
      if (response.refresh_token) await this.revoke(response.refresh_token);
      throw err;
    }
    this.metrics.refreshes.inc({ outcome: 'refreshed' });
    const expiresIn = response.expiresIn();
    const tokens: SessionTokens = {
      accessToken: response.access_token,
      tokenType: response.token_type,
      expiresAt: expiresIn === undefined ? undefined : Math.floor(Date.now() / 1000) + expiresIn,
      refreshedAt: Math.floor(Date.now() / 1000),
      // An OP that does not rotate refresh tokens keeps the old one valid.
      refreshToken: response.refresh_token ?? refreshToken,
      scope: response.scope ?? stored.tokens.scope,
      ...(dpopKey !== undefined ? { dpopKey } : {}),
    };
    if (!(await this.sessions.updateTokens(sessionId, tokens))) throw sessionEnded();
    this.logger.info({ event: 'refresh' }, 'access token refreshed');
    return tokens;
  }

  /** Best effort: revokes a refresh token at the OP, if it has a revocation endpoint; never throws. */
  async revoke(refreshToken: string): Promise<void> {
    try {
      const configuration = await this.provider.configuration();
      if (configuration.serverMetadata().revocation_endpoint === undefined) return;
      await oidc.tokenRevocation(configuration, refreshToken, { token_type_hint: 'refresh_token' });
      this.metrics.revocations.inc({ outcome: 'revoked' });
      this.logger.info({ event: 'revocation' }, 'refresh token revoked');
    } catch (err) {
      // Not fatal (the session is gone already), but a refresh token left valid at the OP: counted, for alerting.
      this.metrics.revocations.inc({ outcome: 'failed' });
      const failure = toBffError(err, 'revocation');
      this.logger.warn(
        { event: 'revocation', code: failure.code, error: describe(failure.cause ?? err) },
        'refresh token revocation failed',
      );
    }
  }

  private async load(sessionId: string): Promise<SignedInData> {
    const stored = await this.sessions.load(sessionId);
    if (stored === undefined) throw sessionEnded();
    return stored;
  }

  private end(sessionId: string, stored: SignedInData): Promise<void> {
    return this.sessions.end(sessionId, stored.user);
  }
}

export function expiresSoon(tokens: SessionTokens): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt - REFRESH_SKEW_SECONDS <= Math.floor(Date.now() / 1000);
}
