// The demo stack, also driven by the browser test: a local OpenID Provider
// that behaves like an FTN broker (private_key_jwt, signed request objects,
// id_token and userinfo signed then encrypted, acr loa3), a small API behind the BFF's proxy, and the BFF registered at
// the OP with freshly generated keys, serving the demo SPA.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createApp, type BffApp } from '../src/app.js';
import { loadConfig, type Env } from '../src/config.js';
import { generateKeySet } from '../src/keygen.js';
import type { Logger } from '../src/logger.js';
import { FTN_ACR_VALUES } from '../src/config/profiles.js';
import { API_CLIENT, startApi } from '../test/fixtures/api.js';
import { bffClient, startOp } from '../test/fixtures/op.js';

const FTN_LOA3 = FTN_ACR_VALUES[1]!;

export interface DemoStack {
  publicUrl: string;
  issuer: string;
  app: BffApp;
  close(): Promise<void>;
}

export async function startDemo(options: { port: number; opPort: number; env: Env; logger?: Logger }): Promise<DemoStack> {
  // Two different hosts, as in production: the OP is another site than the app.
  const publicUrl = `http://localhost:${options.port}`;
  const keys = await generateKeySet([
    { use: 'sig', alg: 'PS256' },
    { use: 'enc', alg: 'RSA-OAEP-256' },
  ]);
  // Like an FTN broker: every sign-in asserts loa3; the authorization response (JARM), id_token and userinfo
  // are signed, then encrypted to the BFF.
  const op = await startOp({
    port: options.opPort,
    acr: FTN_LOA3,
    jarm: true,
    clients: [
      bffClient('sealed-bff-demo', publicUrl, keys.publicJwks, {
        id_token_encrypted_response_alg: 'RSA-OAEP-256',
        id_token_encrypted_response_enc: 'A128CBC-HS256',
        userinfo_encrypted_response_alg: 'RSA-OAEP-256',
        userinfo_encrypted_response_enc: 'A128CBC-HS256',
        authorization_signed_response_alg: 'PS256',
        authorization_encrypted_response_alg: 'RSA-OAEP-256',
        authorization_encrypted_response_enc: 'A128CBC-HS256',
        require_auth_time: true,
        request_object_signing_alg: 'PS256',
      }),
      API_CLIENT,
    ],
  });
  // A small API that checks the bearer token at the OP (introspection).
  const api = await startApi(op.issuer);
  const config = await loadConfig({
    ...options.env,
    BFF_ISSUER: op.issuer,
    BFF_CLIENT_ID: 'sealed-bff-demo',
    BFF_PUBLIC_URL: publicUrl,
    BFF_KEYS: JSON.stringify(keys.privateJwks),
    BFF_SESSION_SECRET: options.env.BFF_SESSION_SECRET ?? randomBytes(32).toString('base64url'),
    BFF_ALLOW_HTTP: '1',
    // The FTN profile (signed request object, required encryption, loa3) and the development-only
    // /bff/diagnostics behind the demo's "How this sign-in was protected" panel, unless told otherwise.
    BFF_PROFILE: options.env.BFF_PROFILE ?? 'ftn',
    BFF_RESPONSE_MODE: options.env.BFF_RESPONSE_MODE ?? 'jwt',
    NODE_ENV: options.env.NODE_ENV ?? 'development',
    BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/whoami', target: `${api.url}/whoami`, token: 'required' }]),
    PORT: String(options.port),
  });
  const app = createApp(config, {
    staticDir: fileURLToPath(new URL('../public', import.meta.url)),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(options.port, () => resolve(s));
  });
  return {
    publicUrl,
    issuer: op.issuer,
    app,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([app.bff.close(), op.close(), api.close()]);
    },
  };
}
