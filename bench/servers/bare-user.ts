// The limit for /bff/user on Node: a bare node:http server that reads a
// cookie, does one Redis GET and answers the stored JSON. No signed cookie,
// no idle-timeout slide, no security headers, no logging: what is left when
// everything but the one store round trip is taken away.
// GET /login stores a session and sets its cookie.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createClient } from 'redis';

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();
const prefix = process.env.PREFIX ?? 'bench-bare:';
const claims = JSON.stringify({ claims: { sub: 'alice', name: 'Alice Example', email: 'alice@example.com' } });

const answer = (res: import('node:http').ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
};
const server = createServer((req, res) => {
  if (req.url === '/login') {
    const sid = randomBytes(24).toString('base64url');
    client.set(`${prefix}${sid}`, claims, { expiration: { type: 'EX', value: 1800 } }).then(
      () => {
        res.setHeader('set-cookie', `sid=${sid}; Path=/; HttpOnly; SameSite=Strict`);
        answer(res, 200, '{"ok":true}');
      },
      () => answer(res, 503, '{"error":"store"}'),
    );
    return;
  }
  const cookie = req.headers.cookie ?? '';
  const at = cookie.indexOf('sid=');
  if (at === -1) return answer(res, 401, '{"error":"not_authenticated"}');
  const end = cookie.indexOf(';', at);
  const sid = cookie.slice(at + 4, end === -1 ? undefined : end);
  client.get(`${prefix}${sid}`).then(
    (stored) => (stored === null ? answer(res, 401, '{"error":"not_authenticated"}') : answer(res, 200, stored)),
    () => answer(res, 503, '{"error":"store"}'),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => void client.close().then(() => process.exit(0))));
