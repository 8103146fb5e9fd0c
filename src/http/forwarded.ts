// Who the client is, as far as BFF_TRUST_PROXY lets us believe X-Forwarded-For:
// the same decision Express makes for req.ips (proxy-addr, the library it uses),
// so that a header a browser made up never reaches an upstream as a client address.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Config } from '../config.js';

/** Whether the hop at `address` (the `hop`-th, 0 = the direct peer) is a proxy we trust. */
export type TrustProxy = (address: string, hop: number) => boolean;

/** BFF_TRUST_PROXY as Express compiles its `trust proxy` setting. */
export function compileTrust(value: Config['trustProxy']): TrustProxy {
  if (value === undefined || value === false) return () => false;
  if (value === true) return () => true;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return proxyaddr.compile(value.split(',').map((entry) => entry.trim()));
}

/** Who sent a request, read once from the chain of hops BFF_TRUST_PROXY vouches for. */
export interface Client {
  /** The client's address: the first hop BFF_TRUST_PROXY does not vouch for (Express's req.ip). */
  address: string;
  /** X-Forwarded-For for an upstream: the trusted part of the chain, client first, ending with the direct peer. */
  forwardedFor: string;
}

export function clientOf(req: IncomingMessage, trust: TrustProxy): Client {
  // The direct peer first, the client last (proxyaddr(req, trust) is this list's last entry).
  const hops = proxyaddr.all(req, trust);
  return { address: hops[hops.length - 1]!, forwardedFor: hops.reverse().join(', ') };
}
