// A trivial upstream API for the proxy benchmark: a small fixed JSON answer.
import { createServer } from 'node:http';

const body = JSON.stringify({ orders: [{ id: 1, total: 42 }, { id: 2, total: 7 }] });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
