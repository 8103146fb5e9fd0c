// URLs compared as URLs: an OP may spell one endpoint differently in two places
// (case of the host, a default port, percent-encoding), and a string compare
// would then miss it.
export function sameUrl(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}
