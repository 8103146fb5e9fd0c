// The floor for this architecture: express-session + connect-redis and a
// fixed JSON answer, nothing else. GET /login creates a session.
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();
const app = express();
app.use(
  session({
    name: 'baseline',
    secret: 'baseline-secret-0123456789abcdef0123',
    store: new RedisStore({ client, prefix: 'bench-baseline:' }),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'strict', maxAge: 1800_000 },
  }),
);
app.get('/login', (req, res) => {
  (req.session as unknown as { user: unknown }).user = { sub: 'alice' };
  res.json({ ok: true });
});
app.get('/user', (req, res) => {
  if (!(req.session as unknown as { user?: unknown }).user) return void res.status(401).json({ error: 'not_authenticated' });
  res.set('Cache-Control', 'no-store').json({ claims: { sub: 'alice', name: 'Alice Example', email: 'alice@example.com' } });
});
const server = app.listen(Number(process.env.PORT), () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => void client.close().then(() => process.exit(0))));
