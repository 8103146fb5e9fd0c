// The peer for /bff/api: what a team would build with the usual packages.
// Express + express-session + connect-redis, and http-proxy-middleware that
// sets Authorization from the session's access token. It gets a keep-alive
// agent to the upstream (http-proxy's default opens a connection per call).
// GET /login creates a session holding an access token; /api/<path> is
// proxied to <UPSTREAM>/<path>.
import { Agent } from 'node:http';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { createClient } from 'redis';

interface PeerSession {
  accessToken?: string;
}
const client = createClient({ url: process.env.REDIS_URL });
await client.connect();
const app = express();
app.use(
  session({
    name: 'peer',
    secret: 'peer-secret-0123456789abcdef0123456789',
    store: new RedisStore({ client, prefix: process.env.PREFIX ?? 'bench-peer:' }),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'strict', maxAge: 1800_000 },
  }),
);
app.get('/login', (req, res) => {
  (req.session as PeerSession).accessToken = `peer-access-token-${'x'.repeat(43)}`;
  res.json({ ok: true });
});
app.use(
  '/api',
  (req, res, next) => {
    if (!(req.session as PeerSession).accessToken) return void res.status(401).json({ error: 'not_authenticated' });
    next();
  },
  createProxyMiddleware<express.Request, express.Response>({
    target: process.env.UPSTREAM!,
    changeOrigin: true,
    agent: new Agent({ keepAlive: true }),
    on: {
      proxyReq: (proxyReq, req) => {
        proxyReq.removeHeader('cookie');
        proxyReq.setHeader('authorization', `Bearer ${(req.session as PeerSession).accessToken}`);
      },
    },
  }),
);
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => void client.close().then(() => process.exit(0))));
