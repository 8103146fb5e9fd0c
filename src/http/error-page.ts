// The page a top-level navigation gets instead of a JSON error: the same code
// and sentence, in words a user understands for the failures users meet
// (cancelling at the OP, an expired or replayed sign-in), styled inline (the
// CSP allows inline styles, not scripts), with a way back and, for sign-in
// failures, a way to try again.
import type { BffError } from '../errors.js';

interface PageText {
  title: string;
  /** What to tell the user, before the BFF's own sentence. */
  lead: string;
  /** Offer "Sign in again". */
  retry: boolean;
}

const SIGN_IN_EXPIRED: PageText = {
  title: 'This sign-in has expired',
  lead: 'The sign-in took too long, was already completed, or was started in another browser.',
  retry: true,
};

const PAGES: Partial<Record<string, PageText>> = {
  access_denied: {
    title: 'Sign-in cancelled',
    lead: 'The sign-in was cancelled at the identity provider. Nothing was changed.',
    retry: true,
  },
  invalid_state: SIGN_IN_EXPIRED,
  login_binding_mismatch: SIGN_IN_EXPIRED,
  invalid_grant: SIGN_IN_EXPIRED,
  login_required: { title: 'Please sign in', lead: 'The identity provider needs you to sign in.', retry: true },
  temporarily_unavailable: { title: 'Sign-in is unavailable', lead: 'The identity provider is busy. Try again in a moment.', retry: true },
  op_unavailable: { title: 'Sign-in is unavailable', lead: 'The identity provider cannot be reached. Try again in a moment.', retry: true },
};

const FALLBACK: PageText = { title: 'Something went wrong', lead: '', retry: false };

export function errorPage(error: BffError): string {
  const page = PAGES[error.code] ?? FALLBACK;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2330}
main{max-width:32rem;margin:12vh auto;padding:2rem 2.25rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{margin:0 0 .75rem;font-size:1.5rem}p{margin:.5rem 0}.code{color:#5b6474;font-size:.875rem}
code{background:#eef0f4;padding:.1rem .35rem;border-radius:4px}
nav{margin-top:1.5rem;display:flex;gap:.75rem;flex-wrap:wrap}
a{display:inline-block;padding:.55rem 1rem;border-radius:8px;text-decoration:none;border:1px solid #1f5fd6;color:#1f5fd6}
a.primary{background:#1f5fd6;color:#fff}
</style></head>
<body><main><h1>${escapeHtml(page.title)}</h1>
${page.lead ? `<p>${escapeHtml(page.lead)}</p>\n` : ''}<p>${escapeHtml(error.description)}</p>
<p class="code">Error code: <code>${escapeHtml(error.code)}</code></p>
<nav>${page.retry ? '<a class="primary" href="/bff/login">Sign in again</a>' : ''}<a href="/">Back to the application</a></nav></main></body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
