// JARM, the JWT Secured Authorization Response Mode (BFF_RESPONSE_MODE=jwt):
// the authorization response is a JWT signed by the OP, encrypted to the BFF
// when it registered encryption. Our JOSE policy opens it first, exactly as
// it opens id_tokens (size caps, allow-lists, no zip, key selection, and the
// encryption requirement for `authorization_response`); then oauth4webapi's
// validateJwtAuthResponse (what openid-client runs for useJwtResponseMode)
// verifies the inner JWS: the OP's signature, iss, aud, exp, state. The
// callback then carries on with the plain parameters it yields.
import * as oauth from 'oauth4webapi';
import type * as oidc from 'openid-client';
import type { Config } from '../config.js';
import type { KeyStore } from '../keys.js';
import { toBffError } from './errors.js';
import { openToken, type OpenedToken } from './jose-policy.js';
import type { OpKeys } from './op-keys.js';
import { checkIssuedAt } from './token-claims.js';

export type JarmMode = 'jwt' | 'query.jwt' | 'form_post.jwt';

/**
 * The response_mode the BFF asks for: BFF_RESPONSE_MODE, or for `jwt` the first of
 * jwt, query.jwt, form_post.jwt the OP lists. undefined: no JARM, or nothing fits.
 */
export function jarmResponseMode(config: Pick<Config, 'responseMode'>, meta: oidc.ServerMetadata): JarmMode | undefined {
  if (config.responseMode === 'query') return undefined;
  const listed = Array.isArray(meta.response_modes_supported) ? meta.response_modes_supported : [];
  const wanted: JarmMode[] = config.responseMode === 'jwt' ? ['jwt', 'query.jwt', 'form_post.jwt'] : [config.responseMode];
  return wanted.find((mode) => listed.includes(mode));
}

/** The start-time check of JARM (its encryption is checked with the other items: metadata-check.ts). */
export function jarmProblems(config: Config, meta: oidc.ServerMetadata): string[] {
  if (config.responseMode === 'query') return [];
  const problems: string[] = [];
  const setting = `BFF_RESPONSE_MODE=${config.responseMode}`;
  if (jarmResponseMode(config, meta) === undefined) {
    const modes = config.responseMode === 'jwt' ? 'jwt, query.jwt or form_post.jwt' : config.responseMode;
    problems.push(`response_modes_supported lacks ${modes}: the OP does not say it supports JARM (${setting})`);
  }
  // Silence means no: JARM's default would be RS256, which the OP then never said it uses.
  const algs = meta.authorization_signing_alg_values_supported;
  if (!Array.isArray(algs) || !algs.some((alg) => config.jose.jwsAlgs.includes(alg))) {
    problems.push(`authorization_signing_alg_values_supported lacks any of ${config.jose.jwsAlgs.join(', ')} (BFF_JWS_ALGS, ${setting})`);
  }
  return problems;
}

export class Jarm {
  /** `opKeys`: the OP's keys, the one cache (refetched at once when the OP rotates). */
  constructor(
    private readonly config: Config,
    private readonly keys: KeyStore,
    private readonly fetch: oidc.CustomFetch,
    private readonly opKeys: OpKeys,
  ) {}

  /** The JOSE policy: the inner JWS, and the `state` it claims (not verified yet: it only finds the login). */
  async open(response: string): Promise<OpenedToken & { state: unknown }> {
    const opened = await openToken(response, 'authorization_response', this.config.jose, this.keys.current.decryption);
    return { ...opened, state: opened.payload.state };
  }

  /** Verifies the inner JWS; returns the authorization response's parameters (code, state, iss). Throws BffError. */
  async verify(configuration: oidc.Configuration, opened: OpenedToken, expectedState: string): Promise<URLSearchParams> {
    // Our key cache first: an unknown kid refetches the OP's keys at once, and oauth4webapi then checks with the same set.
    await this.opKeys.verify(opened, 'authorization_response');
    checkIssuedAt(opened.payload, 'authorization_response', this.config.jose, false);
    try {
      return await oauth.validateJwtAuthResponse(
        configuration.serverMetadata(),
        { client_id: this.config.clientId },
        new URLSearchParams({ response: opened.jws }),
        expectedState,
        {
          [oauth.customFetch]: this.fetch,
          // BFF_ALLOW_HTTP (development and tests only), as for openid-client's requests (provider.ts).
          // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated to stand out, which this comment does
          [oauth.allowInsecureRequests]: this.config.allowHttp,
          [oauth.jwksCache]: this.opKeys.snapshot() ?? {},
          signal: AbortSignal.timeout(this.config.opTimeoutSeconds * 1000),
        },
      );
    } catch (err) {
      throw toBffError(err, 'jarm');
    }
  }
}
