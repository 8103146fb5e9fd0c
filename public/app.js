// The whole integration with Sealed BFF: fetch /bff/user with the X-CSRF
// header, send the browser to /bff/login to sign in and to the logoutUrl
// /bff/user returns to sign out. The page never sees a token.
const $ = (id) => document.getElementById(id);

async function fetchUser(slide = true) {
  // slide=false: asking does not extend the session (a re-check, not user activity).
  const res = await fetch(slide ? '/bff/user' : '/bff/user?slide=false', {
    credentials: 'same-origin', // the HttpOnly session cookie goes along; JavaScript cannot read it
    headers: { 'X-CSRF': '1' }, // required by the BFF: a cross-site page cannot send it
  });
  if (res.status === 401) return null;
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    throw new Error(problem.error_description || `The BFF answered ${res.status}`);
  }
  return res.json();
}

const formatTime = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : '—');

function showSignedIn(user) {
  const c = user.claims;
  $('name').textContent = c.name || c.given_name || c.sub;
  $('email').textContent = c.email || '—';
  $('sub').textContent = c.sub;
  $('acr').textContent = c.acr || '—';
  $('auth-time').textContent = formatTime(c.auth_time);
  $('expires').textContent = formatTime(user.session && user.session.expiresAt);
  $('claims').textContent = JSON.stringify(c, null, 2);
  $('logout').onclick = () => {
    tabs?.postMessage('signed-out');
    window.location.assign(user.logoutUrl);
  };
  $('signed-in').hidden = false;
  $('signed-out').hidden = true;
  $('status').textContent = 'You are signed in.';
  void showProtection();
}

function showSignedOut(reason) {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('status').textContent = reason || 'You are signed out.';
}

// An API behind the BFF's proxy: same X-CSRF header, no token in the page.
$('call-api').addEventListener('click', async () => {
  const res = await fetch('/bff/api/whoami', { credentials: 'same-origin', headers: { 'X-CSRF': '1' } });
  // 401: the session ended meanwhile (a logout in another tab, a timeout): show the signed-out state.
  if (res.status === 401) return showSignedOut('Your session has ended.');
  const body = await res.json().catch(() => ({}));
  $('api-result').textContent =
    res.status === 404 ? 'No API route is configured (BFF_API_ROUTES).' : `${res.status}: ${JSON.stringify(body, null, 2)}`;
});

// "How this sign-in was protected": the BFF's development-only diagnostics (404 elsewhere: no panel).
const ARTEFACTS = { authorization_response: 'Authorization response', id_token: 'ID token', userinfo: 'Userinfo' };
const describeSigned = (s) => (s ? `yes: ${s.alg}${s.kid ? `, kid ${s.kid}` : ''}` : 'no');
const describeEncrypted = (e) => (e ? `yes: ${e.alg} + ${e.enc}${e.kid ? `, kid ${e.kid}` : ''}` : 'no');

async function showProtection() {
  const res = await fetch('/bff/diagnostics', { credentials: 'same-origin', headers: { 'X-CSRF': '1' } });
  if (!res.ok) return;
  const { protection, policy } = await res.json();
  const rows = Object.entries(ARTEFACTS).map(([key, label]) => {
    const row = document.createElement('tr');
    const p = protection[key];
    for (const text of [label, p ? describeSigned(p.signed) : '—', p ? describeEncrypted(p.encrypted) : '—']) {
      const cell = document.createElement(row.children.length === 0 ? 'th' : 'td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $('protection-rows').replaceChildren(...rows);
  $('protection-policy').textContent =
    `Profile: ${policy.profile}. ` +
    (policy.requireEncryption.length > 0
      ? `Encryption required for ${policy.requireEncryption.join(', ')}: a plaintext one would have been refused.`
      : 'Encryption not required.') +
    (protection.authorization_response && !protection.authorization_response.signed
      ? ' The authorization response is a plain redirect (query), protected by state, PKCE and the RFC 9207 iss check.'
      : '');
  $('protection').hidden = false;
}

// Other tabs: one that signs out tells the others at once; a tab coming back into view asks again.
const tabs = 'BroadcastChannel' in window ? new BroadcastChannel('sealed-bff-demo') : null;
if (tabs) tabs.onmessage = (event) => event.data === 'signed-out' && refresh();
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && refresh());

function refresh() {
  return fetchUser(false)
    .then((user) => (user ? showSignedIn(user) : showSignedOut('You were signed out in another tab, or your session ended.')))
    .catch(() => {});
}

$('login').addEventListener('click', () => {
  const returnTo = window.location.pathname + window.location.search;
  window.location.assign(`/bff/login?returnTo=${encodeURIComponent(returnTo)}`);
});

fetchUser()
  .then((user) => {
    if (user) return showSignedIn(user);
    showSignedOut();
    // Landing here signed out (after the OP's logout, say): tell the other tabs to look again.
    tabs?.postMessage('signed-out');
  })
  .catch((err) => {
    $('status').textContent = `Could not reach the BFF: ${err.message}`;
  });
