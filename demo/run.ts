// `npm run demo`: the demo stack (demo/stack.ts) on PORT (default 3000), its
// OP on PORT+1 (DEMO_OP_PORT). Uses Redis when REDIS_URL is set.
import { startDemo } from './stack.js';

const port = Number(process.env.PORT ?? 3000);
const opPort = Number(process.env.DEMO_OP_PORT ?? port + 1);
const demo = await startDemo({ port, opPort, env: process.env });
const store = demo.app.bff.context.config.redis
  ? `Redis (${demo.app.bff.context.config.redis.mode})`
  : 'in memory (set REDIS_URL to use Redis)';
process.stdout.write(
  `\nSealed BFF demo is running.\n` +
    `  Open ${demo.publicUrl}/ and sign in with any username and password.\n` +
    `  OpenID Provider (oidc-provider): ${demo.issuer}\n` +
    `  Session store: ${store}\n\n`,
);

const stop = () => void demo.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
