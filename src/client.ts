// `sealed-bff/client`: what a browser SPA needs to talk to the BFF, typed.
// No dependency and nothing Node-specific: copy it into your SPA or import it
// from the package. The page never sees a token: the session cookie is
// HttpOnly and travels by itself; every call carries X-CSRF: 1.

/** The claims of the verified id_token merged with the decrypted userinfo (the id_token wins). */
export interface BffClaims {
  sub: string;
  /** iss, aud, sid, exp, iat… are left out by default: present only when BFF_DROP_CLAIMS keeps them. */
  iss?: string;
  aud?: string | string[];
  /** Authentication context class, e.g. http://ftn.ficora.fi/2017/loa3. */
  acr?: string;
  amr?: string[];
  /** Seconds since the epoch. */
  auth_time?: number;
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  email_verified?: boolean;
  /** Whatever else the OP asserts (national identifiers, locale…). */
  [claim: string]: unknown;
}

/** GET /bff/user's 200 answer. */
export interface BffUser {
  claims: BffClaims;
  /** Navigate here to sign out (it carries the session's own logout id). */
  logoutUrl: string;
  session: {
    /** Seconds since the epoch: when the session ends if idle from now on (never after absoluteExpiresAt). */
    expiresAt: number;
    /** Seconds since the epoch: the session's hard end, counted from the login. */
    absoluteExpiresAt: number;
  };
}

/** Every error answer's body. */
export interface BffErrorBody {
  error: string;
  error_description: string;
}

/** A non-2xx answer from the BFF (401 aside, which getUser turns into null). */
export class BffRequestError extends Error {
  constructor(
    readonly status: number,
    /** The BFF's error code (README: Errors), e.g. session_store_unavailable. */
    readonly code: string,
    description: string,
  ) {
    super(description);
    this.name = 'BffRequestError';
  }
}

export interface BffClientOptions {
  /** Where the BFF is, when it is not this page's origin's root (tests, a mounted BFF). Default ''. */
  baseUrl?: string;
  /** The fetch to use. Default: the global one. */
  fetch?: typeof fetch;
}

/** fetch for the BFF's endpoints and its API proxy: same-origin credentials and X-CSRF: 1. */
export function bffFetch(path: string, init: RequestInit = {}, options: BffClientOptions = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('X-CSRF', '1');
  return (options.fetch ?? fetch)(`${options.baseUrl ?? ''}${path}`, { ...init, headers, credentials: 'same-origin' });
}

/** The signed-in user, or null when nobody is (401). Throws BffRequestError for other failures. */
export async function getUser(options: BffClientOptions & { slide?: boolean } = {}): Promise<BffUser | null> {
  const res = await bffFetch(options.slide === false ? '/bff/user?slide=false' : '/bff/user', {}, options);
  if (res.status === 401) return null;
  if (!res.ok) throw await requestError(res);
  return (await res.json()) as BffUser;
}

/** The URL that signs in and comes back to `returnTo` (a path on this origin). Navigate to it; never fetch it. */
export function loginUrl(returnTo = '/', options: BffClientOptions = {}): string {
  return `${options.baseUrl ?? ''}/bff/login?returnTo=${encodeURIComponent(returnTo)}`;
}

/** The error in a failed answer's body (or its status, when it has none). */
export async function requestError(res: Response): Promise<BffRequestError> {
  const body = (await res.json().catch(() => ({}))) as Partial<BffErrorBody>;
  return new BffRequestError(res.status, body.error ?? 'unknown', body.error_description ?? `The BFF answered ${res.status}.`);
}
