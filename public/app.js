// The whole integration with Sealed BFF: fetch /bff/user with the X-CSRF
// header, send the browser to /bff/login to sign in and to the logoutUrl
// /bff/user returns to sign out. The page never sees a token.
const $ = (id) => document.getElementById(id);

async function fetchUser() {
  const res = await fetch('/bff/user', {
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
  $('logout').onclick = () => window.location.assign(user.logoutUrl);
  $('signed-in').hidden = false;
  $('signed-out').hidden = true;
  $('status').textContent = 'You are signed in.';
}

function showSignedOut() {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('status').textContent = 'You are signed out.';
}

// An API behind the BFF's proxy: same X-CSRF header, no token in the page.
$('call-api').addEventListener('click', async () => {
  const res = await fetch('/bff/api/whoami', { credentials: 'same-origin', headers: { 'X-CSRF': '1' } });
  const body = await res.json().catch(() => ({}));
  $('api-result').textContent =
    res.status === 404 ? 'No API route is configured (BFF_API_ROUTES).' : `${res.status}: ${JSON.stringify(body, null, 2)}`;
});

$('login').addEventListener('click', () => {
  const returnTo = window.location.pathname + window.location.search;
  window.location.assign(`/bff/login?returnTo=${encodeURIComponent(returnTo)}`);
});

fetchUser()
  .then((user) => (user ? showSignedIn(user) : showSignedOut()))
  .catch((err) => {
    $('status').textContent = `Could not reach the BFF: ${err.message}`;
  });
