// `npm run demo`: a local OpenID Provider that encrypts what it sends
// (FTN-style: private_key_jwt, encrypted id_token and userinfo), the BFF
// registered at it with freshly generated keys, and the demo SPA.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { generateKeySet } from '../src/keygen.js';
import { bffClient, startOp } from '../test/fixtures/op.js';

const port = Number(process.env.PORT ?? 3000);
const opPort = Number(process.env.DEMO_OP_PORT ?? port + 1);
// Two different hosts, as in production: the OP is another site than the app.
const publicUrl = `http://localhost:${port}`;

const keys = await generateKeySet([
  { use: 'sig', alg: 'PS256' },
  { use: 'enc', alg: 'RSA-OAEP-256' },
]);
const op = await startOp({
  port: opPort,
  clients: [
    bffClient('sealed-bff-demo', publicUrl, keys.publicJwks, {
      id_token_encrypted_response_alg: 'RSA-OAEP-256',
      id_token_encrypted_response_enc: 'A128CBC-HS256',
      userinfo_encrypted_response_alg: 'RSA-OAEP-256',
      userinfo_encrypted_response_enc: 'A128CBC-HS256',
    }),
  ],
});

const config = await loadConfig({
  ...process.env,
  BFF_ISSUER: op.issuer,
  BFF_CLIENT_ID: 'sealed-bff-demo',
  BFF_PUBLIC_URL: publicUrl,
  BFF_KEYS: JSON.stringify(keys.privateJwks),
  BFF_SESSION_SECRET: process.env.BFF_SESSION_SECRET ?? randomBytes(32).toString('base64url'),
  BFF_ALLOW_HTTP: '1',
  PORT: String(port),
});
const app = createApp(config, { staticDir: fileURLToPath(new URL('../public', import.meta.url)) });
const server = app.listen(port, () => {
  process.stdout.write(
    `\nSealed BFF demo is running.\n` +
      `  Open ${publicUrl}/ and sign in with any username and password.\n` +
      `  OpenID Provider (oidc-provider): ${op.issuer}\n` +
      `  Session store: ${config.redis ? `Redis (${config.redis.mode})` : 'in memory (set REDIS_URL to use Redis)'}\n\n`,
  );
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.all([app.bff.close(), op.close()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
