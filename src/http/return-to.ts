// `returnTo` is where the browser lands after login. It must stay on this
// origin, or the BFF becomes an open redirector.
import { badRequest } from '../errors.js';

const MAX_LENGTH = 2048;
/** One leading slash, not followed by another slash or a backslash. */
const SAFE_PATH = /^\/(?![/\\])/;

/** A safe same-origin path (with its query and fragment), or a BffError(400). */
export function parseReturnTo(value: unknown, publicUrl: URL): string {
  if (value === undefined) return '/';
  const invalid = () => badRequest('invalid_return_to', 'returnTo must be a path on this site, starting with a single "/".');
  if (typeof value !== 'string' || value.length > MAX_LENGTH) throw invalid();
  // One leading slash; not "//host" nor "/\\host" (browsers read "\" as "/"),
  // and no control characters that browsers strip before parsing.
  if (!SAFE_PATH.test(value) || /[\u0000-\u001f\u007f\\]/.test(value)) throw invalid();
  const url = new URL(value, publicUrl);
  const path = url.pathname + url.search + url.hash;
  // Check the result too: resolving "/./" or "/a/.." segments can produce "//host".
  if (url.origin !== publicUrl.origin || !SAFE_PATH.test(path)) throw invalid();
  return path;
}
