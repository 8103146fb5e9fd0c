// GET /bff/diagnostics, with NODE_ENV=development only (routes/table.ts does
// not list it otherwise): how the OP protected the current user's sign-in,
// for the demo's "How this sign-in was protected" panel. JOSE headers only
// (alg, enc, kid), never a token, a claim or any other content.
import type { Config } from '../config.js';
import { requireCsrfHeader } from '../http/csrf.js';
import type { Handler } from '../http/endpoints.js';
import { sendJson } from '../http/respond.js';
import type { Sessions } from '../session/sessions.js';
import { notAuthenticated } from './user.js';

export interface DiagnosticsRouteOptions {
  config: Config;
  sessions: Sessions;
}

export function diagnosticsRoute({ config, sessions }: DiagnosticsRouteOptions): Handler {
  return async (req, res) => {
    requireCsrfHeader(req);
    const session = await sessions.read(req, res, { slide: false });
    if (session === undefined) throw notAuthenticated();
    sendJson(res, {
      protection: session.data.protection ?? {},
      policy: { profile: config.profile, requireEncryption: config.jose.requireEncryption },
    });
  };
}
