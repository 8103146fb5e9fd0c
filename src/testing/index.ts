// sealed-bff/testing: what a team needs for its own flow tests of an app
// with Sealed BFF in it. A real OpenID Provider (oidc-provider, set up like an
// FTN broker: PS256 signatures, id_token and userinfo encrypted to freshly
// generated BFF keys, private_key_jwt, PAR), the environment that points the
// BFF at it, and signIn, which runs a whole login through a supertest agent
// without any HTML. oidc-provider is an optional peer dependency: only this
// module loads it, never the server.
import { createServer, Server, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import { generateKeySet } from '../keygen.js';
import { FTN_ACR_VALUES } from '../config/profiles.js';
import { bffClient, startOp, type Delivery } from './op.js';

export type { ProgrammaticLogin } from './op.js';

export interface StartTestOpOptions {
  /** Users and their claims, by sub. A sub not listed signs in with a profile made from its name. */
  users?: Record<string, Record<string, unknown>>;
  /** The authentication level signIn asserts by default (default FTN's loa3). */
  acr?: string;
  /** Encryption of the id_token and userinfo (default RSA-OAEP-256 with A256GCM). ECDH-ES variants are not FTN's. */
  encryption?: { alg?: string; enc?: string };
  /** false: userinfo answers as plain JSON (an OP that encrypts id_tokens only). */
  encryptUserinfo?: boolean;
  /** The OP's signature algorithm (default PS256). */
  signing?: 'PS256' | 'RS256' | 'ES256';
  /** Access token lifetime in seconds (default 3600): a short one makes the BFF refresh. */
  accessTokenTtl?: number;
  /** The BFF's public origin in op.env (default http://bff.test); the OP sends the browser back there. */
  publicUrl?: string;
  clientId?: string;
}

export interface TestOp {
  issuer: string;
  /** What loadConfig needs to run the BFF against this OP: issuer, client id, keys, public URL, BFF_ALLOW_HTTP, profile. */
  env: Record<string, string>;
  /** The oidc-provider instance, for anything the kit does not cover. */
  provider: Provider;
  /** Sends a back-channel logout for `sub` (a logout token from the OP) to the BFF the user signed in through. */
  logout(sub: string): Promise<void>;
  close(): Promise<void>;
  /** @internal signIn's link to the OP. */
  readonly kit: KitInternals;
}

interface KitInternals {
  acr: string | undefined;
  completeLogin: Awaited<ReturnType<typeof startOp>>['completeLogin'];
  attach(app: unknown, mountPath: string): void;
}

/** A supertest agent, or anything shaped like one: requests on the app, keeping its cookies. */
export interface AgentLike {
  get(path: string): PromiseLike<{ status: number; headers: Record<string, unknown>; text?: string }>;
}

export interface SignInOptions {
  sub: string;
  /** Claims for this sign-in, over the user's. */
  claims?: Record<string, unknown>;
  /** The authentication level asserted (default the OP's acr option). */
  acr?: string;
  /** Where the app mounts the BFF, e.g. '/auth' for host.use('/auth', bff) (default: at the root). */
  mountPath?: string;
  /** returnTo for /bff/login. */
  returnTo?: string;
}

export interface SignInResult {
  /** The callback's status: 302 when the login completed. */
  status: number;
  /** Where the callback sent the browser (returnTo), when it completed. */
  location: string | undefined;
  /** The callback's JSON error code, when it did not. */
  error: string | undefined;
}

const MAX_OP_HOPS = 10;

export async function startTestOp(options: StartTestOpOptions = {}): Promise<TestOp> {
  const publicUrl = new URL(options.publicUrl ?? 'http://bff.test');
  const clientId = options.clientId ?? 'sealed-bff-test';
  const alg = options.encryption?.alg ?? 'RSA-OAEP-256';
  const enc = options.encryption?.enc ?? 'A256GCM';
  const ecdh = alg.startsWith('ECDH-ES');
  type Alg = ClientMetadata['id_token_encrypted_response_alg'];
  type Enc = ClientMetadata['id_token_encrypted_response_enc'];
  const keys = await generateKeySet([
    { use: 'sig', alg: 'PS256' },
    { use: 'enc', alg },
  ]);
  const signing = options.signing ?? 'PS256';
  const client = bffClient(clientId, publicUrl.origin, keys.publicJwks, {
    id_token_signed_response_alg: signing,
    id_token_encrypted_response_alg: alg as Alg,
    id_token_encrypted_response_enc: enc as Enc,
    ...(options.encryptUserinfo === false
      ? { userinfo_encrypted_response_alg: undefined, userinfo_encrypted_response_enc: undefined, userinfo_signed_response_alg: undefined }
      : {
          userinfo_signed_response_alg: signing,
          userinfo_encrypted_response_alg: alg as Alg,
          userinfo_encrypted_response_enc: enc as Enc,
        }),
    backchannel_logout_uri: `${publicUrl.origin}/bff/backchannel-logout`,
    backchannel_logout_session_required: false,
  });
  // The app the last sign-in went through, and where it mounts the BFF: the OP's back-channel requests go there.
  let app: unknown;
  let mount = '';
  const deliver: Delivery = (url, init) => (url.startsWith(`${publicUrl.origin}/`) && app ? deliverTo(app, mount, url, init) : undefined);
  const op = await startOp({
    clients: [client],
    users: options.users,
    deliver,
    configuration: options.accessTokenTtl === undefined ? {} : { ttl: { AccessToken: options.accessTokenTtl } },
  });
  const acr = options.acr ?? FTN_ACR_VALUES[1];
  const ftn = !ecdh && options.encryptUserinfo !== false;
  return {
    issuer: op.issuer,
    env: {
      BFF_ISSUER: op.issuer,
      BFF_CLIENT_ID: clientId,
      BFF_PUBLIC_URL: publicUrl.origin,
      BFF_KEYS: JSON.stringify(keys.privateJwks),
      BFF_ALLOW_HTTP: '1',
      ...(ftn ? { BFF_PROFILE: 'ftn' } : { BFF_REQUIRE_ENCRYPTION: options.encryptUserinfo === false ? 'id_token' : 'true' }),
    },
    provider: op.provider,
    async logout(sub) {
      if (app === undefined) throw new Error('op.logout: no one has signed in through this OP yet (signIn attaches the app)');
      // oidc-provider's own logout token (signed, encrypted to the BFF), posted by the OP; sid only when the client asks for it.
      const registered = (await op.provider.Client.find(clientId)) as unknown as {
        backchannelLogout(sub: string, sid?: string): Promise<void>;
      };
      await registered.backchannelLogout(sub);
    },
    close: () => op.close(),
    kit: {
      acr,
      completeLogin: (uid, login) => op.completeLogin(uid, login),
      attach: (target, mountPath) => {
        app = target;
        mount = mountPath;
      },
    },
  };
}

/**
 * Runs a whole login through `agent`: /bff/login, the OP's authorization
 * endpoint and its interaction (completed as `sub`, no login form), and
 * /bff/callback. The agent then holds the session cookie.
 */
export async function signIn(agent: AgentLike, op: TestOp, options: SignInOptions): Promise<SignInResult> {
  const mount = options.mountPath ?? '';
  const attached = (agent as { app?: unknown }).app;
  if (attached !== undefined) op.kit.attach(attached, mount);
  const query = options.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(options.returnTo)}`;
  const start = await agent.get(`${mount}/bff/login${query}`);
  const first = header(start.headers, 'location');
  if (start.status !== 302 || first === undefined) throw new Error(`signIn: /bff/login answered ${start.status}: ${start.text ?? ''}`);

  const cookies = new Map<string, string>();
  let url = new URL(first);
  const opOrigin = new URL(op.issuer).origin;
  for (let hop = 0; url.origin === opOrigin; hop++) {
    if (hop === MAX_OP_HOPS) throw new Error(`signIn: the OP did not send the browser back within ${MAX_OP_HOPS} redirects`);
    const uid = /^\/interaction\/([\w-]+)$/.exec(url.pathname)?.[1];
    if (uid !== undefined) op.kit.completeLogin(uid, { sub: options.sub, claims: options.claims, acr: options.acr ?? op.kit.acr });
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const next = res.headers.get('location');
    if (next === null) throw new Error(`signIn: the OP answered ${res.status} at ${url.pathname}: ${(await res.text()).slice(0, 200)}`);
    url = new URL(next, url);
  }
  const callback = await agent.get(`${mount}${url.pathname}${url.search}`);
  const body = callback.text === undefined ? undefined : (safeJson(callback.text) as { error?: string } | undefined);
  return { status: callback.status, location: header(callback.headers, 'location'), error: body?.error };
}

/** Hands a request of the OP (a back-channel logout) to an in-process app on a port of its own for the call. */
async function deliverTo(app: unknown, mount: string, url: string, init: RequestInit): Promise<Response> {
  const server = createServer(listenerOf(app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const target = new URL(url);
    // oidc-provider's own dispatcher refuses loopback addresses (its SSRF guard): this one delivery is in-process by design.
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}${mount}${target.pathname}${target.search}`;
    return await fetch(local, { ...init, dispatcher: undefined } as RequestInit);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** The request listener of an app: supertest's agent holds an http.Server around it. */
function listenerOf(app: unknown): RequestListener {
  if (app instanceof Server) return app.listeners('request')[0] as RequestListener;
  return app as RequestListener;
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
