// The upstream API for the proxy benchmark: a small fixed JSON answer, at
// once (the worst case for a proxy: all cost is the proxy's), or after 5 ms
// under /v1/io/ (an API that waits on its database, as real ones do).
import { createServer } from 'node:http';

const body = JSON.stringify({ orders: [{ id: 1, total: 42 }, { id: 2, total: 7 }] });
const server = createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.url!.startsWith('/v1/io/')) setTimeout(answer, 5);
  else answer();
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
