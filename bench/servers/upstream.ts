// The upstream API for the proxy benchmark: a small fixed JSON answer, at
// once (the worst case for a proxy: all cost is the proxy's).
// /v1/echo answers how the call was authorized (the bench checks that each
// proxy under test attaches what it claims to).
import { createServer } from 'node:http';

const body = JSON.stringify({
  orders: [
    { id: 1, total: 42 },
    { id: 2, total: 7 },
  ],
});
const server = createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.url!.startsWith('/v1/echo')) {
    const echo = JSON.stringify({
      scheme: req.headers.authorization?.split(' ')[0] ?? null,
      dpop: req.headers.dpop !== undefined,
      cookie: req.headers.cookie !== undefined,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(echo) });
    res.end(echo);
  } else answer();
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
