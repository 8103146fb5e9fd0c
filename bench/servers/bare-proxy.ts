// The floor for /bff/api on Node: a bare node:http server that pipes each
// request to the upstream (same path) over a keep-alive agent and pipes the
// answer back. No session, no token, no header filtering, no checks.
import { createServer, request, Agent } from 'node:http';

const upstream = new URL(process.env.UPSTREAM!);
const agent = new Agent({ keepAlive: true });
const server = createServer((req, res) => {
  const out = request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    },
  );
  out.once('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
