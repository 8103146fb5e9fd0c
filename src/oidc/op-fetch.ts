// The fetch openid-client uses for every request to the OP. It caps response
// sizes, and applies the JOSE policy to token and userinfo responses before
// openid-client processes them: the id_token or userinfo JWE is replaced by its
// verified-to-be-acceptable inner JWS, which openid-client then validates.
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import type { KeyStore } from '../keys.js';
import type { OpStep } from '../error-codes.js';
import { answerFailure, isNetworkError, isTimeout, opStepError } from './errors.js';
import { openToken, TokenRefusedError } from './jose-policy.js';
import type { OpKeys } from './op-keys.js';
import { checkAudiences, checkIssuedAt } from './token-claims.js';
import { recordProtection } from './protection.js';
import { sameUrl } from '../urls.js';

// Discovery documents and JWKS are small; token responses hold at most a couple of tokens.
const MAX_METADATA_BYTES = 256 * 1024;

export interface OpEndpoints {
  userinfo?: string;
  issuer: string;
  clientId: string;
  /** Each endpoint's URL and the step it is (the errors name it). */
  steps: Array<[url: string | undefined, step: OpStep]>;
}

/** The OP endpoints of discovered metadata, for createOpFetch. */
export function opEndpoints(meta: oidc.ServerMetadata, clientId: string): OpEndpoints {
  return {
    userinfo: meta.userinfo_endpoint,
    issuer: meta.issuer,
    clientId,
    steps: [
      [meta.token_endpoint, 'token'],
      [meta.pushed_authorization_request_endpoint, 'par'],
      [meta.userinfo_endpoint, 'userinfo'],
      [meta.revocation_endpoint, 'revocation'],
      [meta.jwks_uri, 'jwks'],
    ],
  };
}

/**
 * `opKeys` verifies the OP's signatures: openid-client's own check (its
 * non-repudiation option) would not refetch the OP's keys after a rotation.
 */
export function createOpFetch(
  config: Config,
  keys: KeyStore,
  endpoints: () => OpEndpoints | undefined,
  opKeys: () => OpKeys,
): oidc.CustomFetch {
  const maxBodyBytes = Math.max(MAX_METADATA_BYTES, 2 * config.jose.maxTokenBytes + 16 * 1024);
  return async (url, options) => {
    const known = endpoints();
    // Compare normalised URLs: discovery may spell an endpoint differently from the URL openid-client fetches.
    const isUserinfo = known?.userinfo !== undefined && sameUrl(url, known.userinfo);
    // An encrypted userinfo is a JWT: ask for exactly that (some OPs answer JSON whenever Accept names application/json).
    if (isUserinfo && config.jose.requireEncryption.includes('userinfo')) options.headers.accept = 'application/jwt';
    // Before discovery completes, every request is part of it.
    const step: OpStep | undefined = known === undefined ? 'discovery' : known.steps.find(([endpoint]) => sameUrl(url, endpoint))?.[1];
    let response: Response;
    try {
      response = await fetch(url, options as RequestInit);
    } catch (err) {
      if (step !== undefined && isTimeout(err)) throw opStepError(step, 'timeout', err);
      if (step !== undefined && isNetworkError(err)) throw opStepError(step, 'unreachable', err);
      throw err;
    }
    if (step === 'jwks' && !response.ok) {
      await response.body?.cancel();
      throw opStepError('jwks', answerFailure({ opStatus: response.status }), new Error(`the jwks_uri answered HTTP ${response.status}`));
    }
    const body = await readBody(response, isUserinfo ? config.jose.maxTokenBytes : maxBodyBytes, isUserinfo ? 'userinfo' : 'op_response');
    if (isUserinfo && response.status === 200) {
      return rebuild(response, await processUserinfo(response, body, config, keys, opKeys(), known));
    }
    // Fail closed: an id_token in any response (token endpoint, refresh, whatever the URL) passes the policy.
    if (response.status === 200) return rebuild(response, await processTokenResponse(body, config, keys, opKeys()));
    return rebuild(response, body);
  };
}

async function processTokenResponse(body: Uint8Array, config: Config, keys: KeyStore, opKeys: OpKeys): Promise<Uint8Array> {
  const text = new TextDecoder().decode(body);
  if (!text.trimStart().startsWith('{')) return body; // not a JSON object: no id_token in it
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return body; // openid-client reports the malformed response
  }
  if (typeof json !== 'object' || json === null || typeof (json as { id_token?: unknown }).id_token !== 'string') return body;
  const tokens = json as { id_token: string };
  const opened = await openToken(tokens.id_token, 'id_token', config.jose, keys.current.decryption);
  await opKeys.verify(opened, 'id_token');
  checkAudiences(opened.payload, 'id_token', config.clientId, config.jose.trustedAudiences);
  checkIssuedAt(opened.payload, 'id_token', config.jose, true);
  recordProtection('id_token', tokens.id_token, opened.header);
  return new TextEncoder().encode(JSON.stringify({ ...tokens, id_token: opened.jws }));
}

async function processUserinfo(
  response: Response,
  body: Uint8Array,
  config: Config,
  keys: KeyStore,
  opKeys: OpKeys,
  endpoints: OpEndpoints,
): Promise<Uint8Array> {
  const contentType = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/jwt') {
    if (config.jose.requireEncryption.includes('userinfo')) {
      throw new TokenRefusedError(
        'userinfo',
        'not_encrypted',
        'The userinfo response was refused: it is not encrypted, and this BFF requires encryption.',
      );
    }
    recordProtection('userinfo', undefined, undefined);
    return body;
  }
  const token = new TextDecoder().decode(body).trim();
  const opened = await openToken(token, 'userinfo', config.jose, keys.current.decryption);
  // iss and aud: when present they must be right. When absent (OIDC Core 5.3.2 says "SHOULD"), the userinfo is
  // still the OP's: its signature verifies with the OP's keys (opKeys, below), its sub is checked against the
  // id_token's, and it came from the OP's own endpoint, over TLS, for this session's access token.
  // BFF_USERINFO_ISS_AUD=required (and the ftn/fapi2 profiles) refuse the absence too.
  const { iss, aud } = opened.payload;
  const required = config.userinfoIssAud === 'required';
  if (iss !== endpoints.issuer && (required || iss !== undefined)) {
    throw new TokenRefusedError('userinfo', 'issuer_mismatch', 'The userinfo response was refused: it is not from this OP.');
  }
  const forUs = aud === endpoints.clientId || (Array.isArray(aud) && aud.includes(endpoints.clientId));
  if (!forUs && (required || aud !== undefined)) {
    throw new TokenRefusedError('userinfo', 'audience_mismatch', 'The userinfo response was refused: it is not for this client.');
  }
  await opKeys.verify(opened, 'userinfo');
  checkIssuedAt(opened.payload, 'userinfo', config.jose, false);
  recordProtection('userinfo', token, opened.header);
  return new TextEncoder().encode(opened.jws);
}

/** Reads a body, refusing anything larger than `limit` without buffering it. */
async function readBody(response: Response, limit: number, what: 'userinfo' | 'op_response'): Promise<Uint8Array> {
  const tooLarge = () =>
    what === 'userinfo'
      ? new TokenRefusedError(
          'userinfo',
          'too_large',
          `The userinfo response was refused: it is larger than ${limit} bytes (BFF_MAX_TOKEN_BYTES).`,
        )
      : new BffError(502, 'op_response_too_large', 'The OpenID Provider sent a response larger than the BFF accepts.');
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function rebuild(original: Response, body: Uint8Array): Response {
  const headers = new Headers(original.headers);
  // The body may have changed: its length and encoding are no longer the original's.
  headers.delete('content-length');
  headers.delete('content-encoding');
  const nullBody = original.status === 204 || original.status === 304;
  return new Response(nullBody ? null : (body as Uint8Array<ArrayBuffer>), {
    status: original.status,
    statusText: original.statusText,
    headers,
  });
}
