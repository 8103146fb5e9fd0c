// A real OpenID Provider for tests, the demo and the test kit (sealed-bff/testing):
// panva's oidc-provider (an OpenID-certified OP), in-process on a free port,
// configured to sign with RS256/PS256/ES256 and to encrypt id_tokens and
// userinfo to each client's keys. A login is completed either through its
// development login form (a browser, or test/fixtures/op-browser.ts) or
// programmatically (`completeLogin`, for signIn in ./index.ts).
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';
import { memoryAdapter } from './memory-adapter.js';

export interface TestOp {
  issuer: string;
  /** Where the OP itself listens (differs from the issuer behind the hostile proxy). */
  url: string;
  provider: Provider;
  /** Completes the interaction `uid` (the path /interaction/<uid>) as `login` when the browser arrives there: no login form. */
  completeLogin(uid: string, login: ProgrammaticLogin): void;
  close(): Promise<void>;
}

/** Who signs in through completeLogin, with which claims and authentication level. */
export interface ProgrammaticLogin {
  sub: string;
  /** Claims over the user's (options.users) for this sign-in. */
  claims?: Record<string, unknown>;
  acr?: string;
}

/** Where the OP's own requests to a URL go instead of the network (e.g. a back-channel logout to an in-process BFF). */
export type Delivery = (url: string, init: RequestInit) => Promise<Response> | undefined;

export interface TestOpOptions {
  clients: ClientMetadata[];
  port?: number;
  /** Issuer URL when something (the hostile proxy) fronts the OP; default: the OP's own address. */
  issuer?: string;
  /** Extra oidc-provider configuration, merged over the defaults here. */
  configuration?: Partial<Configuration>;
  /** Claims of each user, by sub; a sub not listed gets a profile made from its name (ACCOUNT_PROFILE). */
  users?: Record<string, Record<string, unknown>>;
  /** Delivers the OP's own outgoing requests it wants to (undefined: the network). */
  deliver?: Delivery;
  /** Serve https with this key and certificate (PEM) instead of http. */
  tls?: { key: string; cert: string };
  /**
   * The authentication level every sign-in asserts (its id_token's `acr`), as an FTN broker does for a
   * strong method; oidc-provider's dev login asserts none.
   */
  acr?: string;
  /** DPoP (on by default in oidc-provider): false turns it off, 'nonce' demands server nonces (RFC 9449 section 8). */
  dpop?: false | 'nonce';
  /** The `alg` the OP's enc key declares in its JWKS; the OP then decrypts request objects with that alg only (as Signicat does). */
  encKeyAlg?: 'RSA-OAEP' | 'RSA-OAEP-256';
  /** JARM (jwtResponseModes): signed, and encrypted to clients that register authorization_encrypted_response_alg. */
  jarm?: boolean;
}

export const ACCOUNT_PROFILE = (sub: string) => ({
  sub,
  email: `${sub}@example.com`,
  email_verified: true,
  name: `${sub[0]?.toUpperCase()}${sub.slice(1)} Example`,
  given_name: `${sub[0]?.toUpperCase()}${sub.slice(1)}`,
  family_name: 'Example',
});

let opKeySet: Promise<JWK[]> | undefined;

/**
 * The OP's own private keys, made once per process: RSA (RS256/PS256) and
 * P-256 (ES256) for signing, RSA for request objects encrypted to the OP.
 */
export function opPrivateKeys(): Promise<JWK[]> {
  opKeySet ??= (async () => {
    const rsa = await generateKeyPair('PS256', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const enc = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    return [
      { ...(await exportJWK(rsa.privateKey)), kid: 'op-rsa', use: 'sig' },
      { ...(await exportJWK(ec.privateKey)), kid: 'op-ec', use: 'sig' },
      { ...(await exportJWK(enc.privateKey)), kid: 'op-enc', use: 'enc' },
    ];
  })();
  return opKeySet;
}

const ENCRYPTION_ALGS = ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'] as const;
const ENCRYPTION_ENCS = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'] as const;

export async function startOp(options: TestOpOptions): Promise<TestOp> {
  const server: Server = options.tls ? createTlsServer(options.tls) : createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const scheme = options.tls ? 'https' : 'http';
  const issuer = options.issuer ?? `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Programmatic logins waiting for their browser, by interaction uid; the claims of the latest sign-in, by sub.
  const pending = new Map<string, ProgrammaticLogin>();
  const claimsOf = new Map<string, Record<string, unknown>>();
  const configuration: Configuration = {
    clients: options.clients,
    adapter: memoryAdapter(),
    jwks: { keys: await opPrivateKeys() },
    cookies: { keys: ['test-op-cookie-key-0123456789abcdef'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    features: {
      devInteractions: { enabled: true },
      encryption: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      requestObjects: { enabled: true },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    // Refresh tokens for every client allowed the grant, rotated at every use:
    // a refresh token used twice is an error, as at strict OPs.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      idTokenEncryptionAlgValues: ENCRYPTION_ALGS,
      userinfoEncryptionAlgValues: ENCRYPTION_ALGS,
      idTokenEncryptionEncValues: ENCRYPTION_ENCS,
      userinfoEncryptionEncValues: ENCRYPTION_ENCS,
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      requestObjectEncryptionAlgValues: ['RSA-OAEP', 'RSA-OAEP-256'],
      requestObjectEncryptionEncValues: ENCRYPTION_ENCS,
    },
    pkce: { required: () => true },
    acrValues: ['http://ftn.ficora.fi/2017/loa2', 'http://ftn.ficora.fi/2017/loa3'],
    // oidc-provider refuses to fetch from loopback addresses (SSRF protection);
    // here the BFF's jwks_uri is on loopback by design.
    fetch: (url, init) =>
      options.deliver?.(url instanceof URL ? url.href : typeof url === 'string' ? url : url.url, init as RequestInit) ??
      globalThis.fetch(url, { ...init, dispatcher: undefined } as RequestInit),
    async findAccount(_ctx, sub) {
      const claims = { ...(options.users?.[sub] ?? ACCOUNT_PROFILE(sub)), ...claimsOf.get(sub), sub };
      return { accountId: sub, claims: async () => claims };
    },
    // First-party clients: no consent screen, the grant is made on the spot.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    ...options.configuration,
  };

  if (options.dpop !== undefined) {
    configuration.features = {
      ...configuration.features,
      dPoP: options.dpop === false ? { enabled: false } : { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    };
  }
  if (options.jarm) {
    configuration.features = { ...configuration.features, jwtResponseModes: { enabled: true } };
    configuration.enabledJWA = {
      ...configuration.enabledJWA,
      authorizationSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      authorizationEncryptionAlgValues: ENCRYPTION_ALGS,
      authorizationEncryptionEncValues: ENCRYPTION_ENCS,
    };
  }
  if (options.encKeyAlg !== undefined) {
    const alg = options.encKeyAlg;
    configuration.jwks = { keys: configuration.jwks!.keys.map((k) => (k.use === 'enc' ? { ...k, alg } : k)) };
    configuration.enabledJWA = { ...configuration.enabledJWA, requestObjectEncryptionAlgValues: [alg] };
  }
  // oidc-provider refuses keys it has no use for: the enc key only serves encrypted request objects.
  if (!configuration.features?.encryption?.enabled) {
    configuration.jwks = { keys: configuration.jwks!.keys.filter((k) => k.use !== 'enc') };
  }
  let provider: Provider;
  try {
    provider = new Provider(issuer, configuration);
    await assertClientsKeptTheirMetadata(provider, options.clients);
  } catch (err) {
    await new Promise((resolve) => server.close(resolve));
    throw err;
  }
  if (options.acr !== undefined) assertAcr(provider, options.acr);
  // Behind the hostile proxy, URLs come from X-Forwarded-Host.
  if (options.issuer) provider.proxy = true;
  const handle = provider.callback();
  server.on('request', (req, res) => {
    const uid = /^\/interaction\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const login = uid === undefined ? undefined : pending.get(uid);
    if (login === undefined) return void handle(req, res);
    pending.delete(uid!);
    claimsOf.set(login.sub, login.claims ?? {});
    const result = { login: { accountId: login.sub, ...(login.acr !== undefined ? { acr: login.acr } : {}) } };
    provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false }).catch((err: Error) => {
      res.writeHead(500).end(`interaction failed: ${err.message}`);
    });
  });
  return {
    issuer,
    completeLogin: (id, login) => void pending.set(id, login),
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// oidc-provider drops client metadata whose feature is off (e.g. userinfo
// encryption without jwtUserinfo) without a word: a test would then pass on
// plaintext. Refuse to start instead.
async function assertClientsKeptTheirMetadata(provider: Provider, clients: ClientMetadata[]): Promise<void> {
  for (const requested of clients) {
    const client = await provider.Client.find(requested.client_id);
    const kept = client?.metadata() ?? {};
    for (const [name, value] of Object.entries(requested)) {
      if (value !== undefined && name !== 'jwks' && !(name in kept)) {
        throw new Error(`oidc-provider dropped ${name} of client ${requested.client_id}: enable its feature`);
      }
    }
  }
}

/** A client registration for the BFF, with the BFF's public keys and encryption wishes. */
export function bffClient(
  clientId: string,
  bffOrigin: string,
  publicJwks: { keys: JWK[] },
  metadata: Partial<ClientMetadata> = {},
): ClientMetadata {
  return {
    client_id: clientId,
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: publicJwks,
    redirect_uris: [`${bffOrigin}/bff/callback`],
    post_logout_redirect_uris: [`${bffOrigin}/`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'PS256',
    id_token_encrypted_response_alg: 'RSA-OAEP-256',
    id_token_encrypted_response_enc: 'A256GCM',
    userinfo_signed_response_alg: 'PS256',
    userinfo_encrypted_response_alg: 'RSA-OAEP-256',
    userinfo_encrypted_response_enc: 'A256GCM',
    ...metadata,
  };
}

/** Every login on `provider` asserts `acr` (and amr pwd), where its dev login would assert none. */
function assertAcr(provider: Provider, acr: string): void {
  type LoginDetails = { acr?: string; amr?: string[] } & Record<string, unknown>;
  // provider.Session is this provider's own model class: other providers in the process are unaffected.
  const session = provider.Session.prototype as unknown as { loginAccount: (this: unknown, details: LoginDetails) => void };
  const loginAccount = session.loginAccount;
  session.loginAccount = function (this: unknown, details: LoginDetails) {
    loginAccount.call(this, { ...details, acr: details.acr ?? acr, amr: details.amr ?? ['pwd'] });
  };
}
