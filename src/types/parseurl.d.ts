// parseurl (how Express and serve-static read a request's path) ships no types.
declare module 'parseurl' {
  import type { IncomingMessage } from 'node:http';
  type Parsed = { pathname: string | null; search: string | null } | undefined;
  function parseurl(req: IncomingMessage): Parsed;
  namespace parseurl {
    /** The same for `req.originalUrl` (falling back to `req.url`). */
    function original(req: IncomingMessage): Parsed;
  }
  export default parseurl;
}
