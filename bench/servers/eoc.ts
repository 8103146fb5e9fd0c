// The peer most Express users would pick: express-openid-connect, serving the
// user's claims from its (cookie) session after a code-flow login.
import express from 'express';
import eoc from 'express-openid-connect';

const port = Number(process.env.PORT);
const app = express();
app.use(
  eoc.auth({
    issuerBaseURL: process.env.ISSUER!,
    baseURL: `http://127.0.0.1:${port}`,
    clientID: 'eoc',
    clientSecret: process.env.CLIENT_SECRET!,
    secret: 'eoc-cookie-secret-0123456789abcdef0123',
    authRequired: false,
    idpLogout: false,
    authorizationParams: { response_type: 'code', response_mode: 'query', scope: 'openid profile email' },
  }),
);
app.get('/user', (req, res) => {
  if (!req.oidc.isAuthenticated()) return void res.status(401).json({ error: 'not_authenticated' });
  res.set('Cache-Control', 'no-store').json({ claims: req.oidc.user });
});
const server = app.listen(port, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
