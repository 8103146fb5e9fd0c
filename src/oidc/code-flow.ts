// The authorization code flow, protocol side: build the authorization request
// (PKCE S256, state, nonce) and turn a callback into verified claims and tokens.
// openid-client does the protocol work; this module decides what is kept.
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import type { SessionTokens, SessionUser } from '../session/session.js';
import type { LoginTransaction } from '../session/login-transactions.js';
import { toBffError } from './errors.js';

export interface AuthorizationRequest {
  url: URL;
  state: string;
  transaction: Omit<LoginTransaction, 'binding'>;
}

export async function buildAuthorizationRequest(
  configuration: oidc.Configuration,
  config: Config,
  returnTo: string,
): Promise<AuthorizationRequest> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: config.redirectUri,
    scope: config.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, state, transaction: { codeVerifier, nonce, returnTo } };
}

// Protocol-only claims: they mean nothing to the SPA.
const PROTOCOL_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash'];

export interface CompletedLogin {
  user: SessionUser;
  tokens: SessionTokens;
}

/**
 * Exchanges the code, decrypts and verifies the id_token, then fetches the
 * (possibly encrypted) userinfo for the same subject. Throws BffError.
 */
export async function completeLogin(
  configuration: oidc.Configuration,
  callbackUrl: URL,
  state: string,
  tx: LoginTransaction,
): Promise<CompletedLogin> {
  let response: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    response = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: tx.codeVerifier,
      expectedState: state,
      expectedNonce: tx.nonce,
      idTokenExpected: true,
    });
  } catch (err) {
    throw toBffError(err, isAuthorizationResponseProblem(err) ? 'authorization_response' : 'id_token');
  }
  const idClaims = response.claims()!;

  let userinfo: Record<string, unknown> = {};
  if (configuration.serverMetadata().userinfo_endpoint) {
    try {
      userinfo = await oidc.fetchUserInfo(configuration, response.access_token, idClaims.sub);
    } catch (err) {
      throw toBffError(err, 'userinfo');
    }
  }

  const claims: Record<string, unknown> = { ...userinfo, ...idClaims };
  for (const name of PROTOCOL_CLAIMS) delete claims[name];
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
    },
  };
}

// Errors in the redirect's own parameters (error=, iss, state) come before any
// token is fetched; they are the browser's request's fault, not the OP's token's.
function isAuthorizationResponseProblem(err: unknown): boolean {
  if (err instanceof oidc.AuthorizationResponseError) return true;
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const message = `${(err as Error | undefined)?.message ?? ''} ${cause?.message ?? ''}`;
  return /authorization response|"iss"|"state"|parameter/.test(message) && !/JWT|ID Token/.test(message);
}
