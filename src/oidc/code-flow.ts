// The authorization code flow, protocol side: build the authorization request
// (PKCE S256, state, nonce; optionally a signed or encrypted request object,
// pushed with PAR) and turn a callback into verified claims and tokens.
// openid-client does the protocol work; this module decides what is sent and kept.
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import type { KeyStore } from '../keys.js';
import type { SessionTokens, SessionUser } from '../session/data.js';
import type { LoginTransaction } from '../store/login-transactions.js';
import { dpopThumbprint, generateDpopKey, type Dpop, type DpopPrivateJwk } from './dpop.js';
import { toBffError } from './errors.js';
import { jarmResponseMode } from './jarm.js';
import type { RequestObjectEncrypter } from './request-object.js';

export interface AuthorizationRequest {
  url: URL;
  state: string;
  transaction: Omit<LoginTransaction, 'binding'>;
}

// Dropped whatever BFF_DROP_CLAIMS says. Aggregated and distributed claims
// (OIDC Core 5.6.2) are dropped, not resolved: `_claim_sources` may carry an
// access token for another claims provider, which must never reach the browser.
const ALWAYS_DROPPED_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash', '_claim_names', '_claim_sources'];

export interface CompletedLogin {
  user: SessionUser;
  tokens: SessionTokens;
}

export class CodeFlow {
  constructor(
    private readonly config: Config,
    private readonly keys: KeyStore,
    private readonly dpop: Dpop,
    private readonly encrypter: RequestObjectEncrypter,
  ) {}

  /** `extraParams` are the allow-listed parameters from /bff/login's query, already validated. */
  async buildAuthorizationRequest(
    configuration: oidc.Configuration,
    returnTo: string,
    extraParams: Record<string, string>,
  ): Promise<AuthorizationRequest> {
    const { config } = this;
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const params: Record<string, string> = {
      ...config.authParams,
      ...extraParams,
      redirect_uri: config.redirectUri,
      scope: config.scope,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    // JARM: the mode the OP's metadata allows (checked at start: jarm.ts).
    const responseMode = jarmResponseMode(config, configuration.serverMetadata());
    if (responseMode !== undefined) params.response_mode = responseMode;
    // A DPoP key per login (and then per session); dpop_jkt binds the code to it.
    const dpopKey = this.dpop.usedWith(configuration) ? await generateDpopKey() : undefined;
    if (dpopKey !== undefined) params.dpop_jkt = await dpopThumbprint(dpopKey);
    const acrValues = params.acr_values?.split(' ').filter(Boolean);
    const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);
    const url = await this.authorizationUrl(configuration, params, dpopKey);
    return { url, state, transaction: { codeVerifier, nonce, returnTo, acrValues, maxAge, dpopKey } };
  }

  private async authorizationUrl(
    configuration: oidc.Configuration,
    params: Record<string, string>,
    dpopKey: DpopPrivateJwk | undefined,
  ): Promise<URL> {
    const { config } = this;
    const par =
      config.par === 'on' || (config.par === 'auto' && configuration.serverMetadata().pushed_authorization_request_endpoint !== undefined);
    try {
      let query: Record<string, string> = params;
      if (config.requestObject !== 'none') {
        const key = this.keys.current.signing[0]!;
        const jar = await oidc.buildAuthorizationUrlWithJAR(configuration, params, { key: key.key, kid: key.kid });
        let request = jar.searchParams.get('request')!;
        if (config.requestObject === 'encrypted') request = await this.encrypter.encrypt(request, configuration);
        query = { client_id: config.clientId, request };
        // OIDC Core 6.1 wants response_type and scope beside the request object too (RFC 9101 only client_id); some OPs
        // refuse it without them. They match the request object's. PAR needs neither: the front channel then carries only request_uri.
        if (config.requestObjectQuery === 'full' && !par) query = { ...query, response_type: 'code', scope: config.scope };
      }
      if (!par) return oidc.buildAuthorizationUrl(configuration, query);
      return await oidc.buildAuthorizationUrlWithPAR(configuration, query, await this.dpop.opOptions(configuration, dpopKey));
    } catch (err) {
      throw toBffError(err, 'pushed_authorization_request');
    }
  }

  /**
   * Exchanges the code, verifies the (decrypted) id_token, then fetches the
   * (possibly encrypted) userinfo for the same subject. Throws BffError.
   */
  async completeLogin(configuration: oidc.Configuration, callbackUrl: URL, state: string, tx: LoginTransaction): Promise<CompletedLogin> {
    let response: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    const dpopOptions = await this.dpop.opOptions(configuration, tx.dpopKey);
    try {
      response = await oidc.authorizationCodeGrant(
        configuration,
        callbackUrl,
        {
          pkceCodeVerifier: tx.codeVerifier,
          expectedState: state,
          expectedNonce: tx.nonce,
          idTokenExpected: true,
          ...(tx.maxAge !== undefined ? { maxAge: tx.maxAge } : {}),
        },
        undefined,
        dpopOptions,
      );
    } catch (err) {
      throw toBffError(err, isAuthorizationResponseProblem(err) ? 'authorization_response' : 'id_token');
    }
    const idClaims = response.claims()!;
    if (tx.acrValues && tx.acrValues.length > 0 && !tx.acrValues.includes(idClaims.acr as string)) {
      throw new BffError(403, 'id_token_acr_not_satisfied', 'The sign-in did not reach the requested authentication level (acr).');
    }

    const dpopKey = this.dpop.boundKey(response.token_type, tx.dpopKey);

    let userinfo: Record<string, unknown> = {};
    if (configuration.serverMetadata().userinfo_endpoint) {
      try {
        userinfo = await oidc.fetchUserInfo(configuration, response.access_token, idClaims.sub, dpopKey && dpopOptions);
      } catch (err) {
        throw toBffError(err, 'userinfo');
      }
    }

    const claims: Record<string, unknown> = { ...userinfo, ...idClaims };
    for (const name of [...ALWAYS_DROPPED_CLAIMS, ...this.config.droppedClaims]) delete claims[name];
    const expiresIn = response.expiresIn();
    return {
      user: {
        sub: idClaims.sub,
        claims,
        opSid: typeof idClaims.sid === 'string' ? idClaims.sid : undefined,
      },
      tokens: {
        accessToken: response.access_token,
        tokenType: response.token_type,
        expiresAt: expiresIn === undefined ? undefined : Math.floor(Date.now() / 1000) + expiresIn,
        refreshToken: response.refresh_token,
        scope: response.scope,
        ...(dpopKey !== undefined ? { dpopKey } : {}),
      },
    };
  }
}

// Errors in the redirect's own parameters (error=, iss, state) come before any
// token is fetched; they are the browser's request's fault, not the OP's token's.
function isAuthorizationResponseProblem(err: unknown): boolean {
  if (err instanceof oidc.AuthorizationResponseError) return true;
  const cause = (err as { cause?: { message?: string } } | undefined)?.cause;
  const message = `${(err as Error | undefined)?.message ?? ''} ${cause?.message ?? ''}`;
  return /response parameter|"iss" \(issuer\) (missing|value)|"state"/.test(message) && !/JWT|ID Token/.test(message);
}
