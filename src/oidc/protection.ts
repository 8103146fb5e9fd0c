// How the OP protected what it sent for one sign-in: for the authorization
// response, the id_token and the userinfo, whether each was signed and
// encrypted and with which alg/enc/kid. Headers only, never a payload or a
// token: this is what the development-only GET /bff/diagnostics shows. The
// OP's answers are opened in op-fetch.ts, far from the login that caused
// them; an AsyncLocalStorage carries the login's record to them.
import { AsyncLocalStorage } from 'node:async_hooks';
import { decodeProtectedHeader } from 'jose';
import type { Artefact, Protection, SignInProtection } from '../session/data.js';

const current = new AsyncLocalStorage<SignInProtection>();

/** Runs `fn` (a login's completion) and returns what it recorded alongside its result. */
export async function recordingProtection<T>(fn: () => Promise<T>): Promise<{ result: T; protection: SignInProtection }> {
  const protection: SignInProtection = {};
  const result = await current.run(protection, fn);
  return { result, protection };
}

/** Notes how `artefact` arrived, when a login is being recorded. `token` is the compact JWT/JWE as received, or undefined for JSON. */
export function recordProtection(artefact: Artefact, token: string | undefined, innerHeader: Record<string, unknown> | undefined): void {
  const record = current.getStore();
  if (record === undefined) return;
  record[artefact] = protectionOf(token, innerHeader);
}

/** How one artefact was protected, from the token as received and its inner (signed) header. */
export function protectionOf(token: string | undefined, innerHeader: Record<string, unknown> | undefined): Protection {
  const outer = token === undefined ? undefined : headerOf(token);
  const encrypted = outer !== undefined && typeof outer.enc === 'string';
  return {
    signed: innerHeader === undefined ? null : pick(innerHeader, ['alg', 'kid']),
    encrypted: encrypted ? pick(outer, ['alg', 'enc', 'kid']) : null,
  } as Protection;
}

function headerOf(token: string): Record<string, unknown> | undefined {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
}

/** Only the named string members: nothing else of a header leaves this module. */
function pick(header: Record<string, unknown>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((name) => typeof header[name] === 'string').map((name) => [name, header[name] as string]));
}
