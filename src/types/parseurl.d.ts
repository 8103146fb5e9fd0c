// parseurl (how Express and serve-static read a request's path) ships no types.
declare module 'parseurl' {
  import type { IncomingMessage } from 'node:http';
  function parseurl(req: IncomingMessage): { pathname: string | null; search: string | null } | undefined;
  export default parseurl;
}
