// Test harness: a real OP (oidc-provider), the BFF built by createApp with
// the real Redis, a supertest agent as the browser's cookie jar at the BFF,
// and an OpBrowser for the pages at the OP.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { JWK } from 'jose';
import { createApp, type BffApp } from '../../src/app.js';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { generateKeySet, type KeySpec } from '../../src/keygen.js';
import { OpBrowser } from '../fixtures/op-browser.js';
import type { TestOp } from '../fixtures/op.js';

export const BFF_ORIGIN = 'http://bff.test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const DEFAULT_KEYS: KeySpec[] = [
  { use: 'sig', alg: 'PS256' },
  { use: 'enc', alg: 'RSA-OAEP-256' },
];

export interface TestKeys {
  privateJwks: { keys: JWK[] };
  publicJwks: { keys: JWK[] };
}

export const keysFor = (specs: KeySpec[] = DEFAULT_KEYS): Promise<TestKeys> => generateKeySet(specs);

/** Collects the BFF's log lines, to assert what is (and is not) logged. */
export class LogCapture {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
}

export interface TestBff {
  app: BffApp;
  /** Where the BFF really listens (BFF_PUBLIC_URL is the fictitious BFF_ORIGIN). */
  url: string;
  config: Config;
  logs: LogCapture;
  /** A browser: its cookie jar at the BFF (supertest agent) and at the OP. */
  browser(): TestBrowser;
  close(): Promise<void>;
}

export interface TestBrowser {
  agent: request.Agent;
  op: OpBrowser;
}

export function baseEnv(op: TestOp, clientId: string, keys: TestKeys, extra: Env = {}): Env {
  return {
    BFF_ISSUER: op.issuer,
    BFF_CLIENT_ID: clientId,
    BFF_PUBLIC_URL: BFF_ORIGIN,
    BFF_KEYS: JSON.stringify(keys.privateJwks),
    BFF_SESSION_SECRET: 'test-session-secret-0123456789abcdef',
    BFF_ALLOW_HTTP: '1',
    REDIS_URL,
    BFF_REDIS_PREFIX: `sbff-test-${process.pid}:`,
    // Test files sign in dozens of times a minute from one address; the limit has its own tests.
    BFF_LOGIN_RATE_LIMIT: '10000/60',
    ...extra,
  };
}

/** A configuration whose OP never answers (a free port): for processes tested at start, before any login. */
export async function unreachableOpEnv(extra: Env = {}): Promise<Env> {
  return {
    BFF_ISSUER: `http://127.0.0.1:${await freePort()}`,
    BFF_CLIENT_ID: 'bff',
    BFF_PUBLIC_URL: 'http://localhost:3000',
    BFF_ALLOW_HTTP: '1',
    BFF_SESSION_SECRET: 'x'.repeat(32),
    ...extra,
  };
}

/** POST /bff/backchannel-logout as the OP sends it: a form carrying the logout token. */
export const postLogoutToken = (bff: TestBff, body: string | Record<string, string>) =>
  bff.browser().agent.post('/bff/backchannel-logout').type('form').send(body);

/** The Redis key of a BFF session. */
export const sessionKey = (bff: TestBff, sid: string) => `${bff.config.redisPrefix}sess:${sid}`;

/** A complete configuration that needs no OP, Redis or network (config and profile checks). */
export function staticEnv(keys: TestKeys, extra: Env = {}): Env {
  return {
    BFF_ISSUER: 'https://op.example',
    BFF_CLIENT_ID: 'bff',
    BFF_PUBLIC_URL: 'https://app.example',
    BFF_KEYS: JSON.stringify(keys.privateJwks),
    BFF_SESSION_SECRET: 'x'.repeat(32),
    ...extra,
  };
}

export interface StartBffOptions {
  /** Redis is meant to be unreachable, so do not wait for it. */
  storeDown?: boolean;
  /** The clock key rollover follows (createApp's `now`). */
  now?: () => number;
}

export async function startBff(env: Env, { storeDown = false, now }: StartBffOptions = {}): Promise<TestBff> {
  const config = await loadConfig(env);
  const logs = new LogCapture();
  const app = createApp(config, { logger: createLogger('debug', logs), now });
  const server = app.listen(0, '127.0.0.1');
  // Ready means listening and connected to Redis: a first request must not meet a 503.
  await Promise.all([new Promise((resolve) => server.once('listening', resolve)), storeDown || app.bff.ready()]);
  const opOrigin = config.issuer.origin;
  return {
    app,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    config,
    logs,
    browser: () => ({ agent: request.agent(server), op: new OpBrowser(opOrigin) }),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await app.bff.close();
    },
  };
}

/** A complete login: /bff/login -> OP login form -> /bff/callback. Returns the callback response. */
export async function login(browser: TestBrowser, options: { user?: string; returnTo?: string } = {}) {
  const query = options.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(options.returnTo)}`;
  const start = await browser.agent.get(`/bff/login${query}`);
  if (start.status !== 302) throw new Error(`/bff/login answered ${start.status}: ${start.text}`);
  const back = await browser.op.signIn(start.headers.location!, options.user ?? 'alice');
  if (back.origin !== BFF_ORIGIN) throw new Error(`OP sent the browser to ${back.href}`);
  return browser.agent.get(back.pathname + back.search);
}

/** A browser signed in at `bff`: its session cookie ("name=value") and session id. Throws unless the login completed. */
export async function signIn(bff: TestBff, user = 'alice'): Promise<{ browser: TestBrowser; cookie: string; sid: string }> {
  const browser = bff.browser();
  const callback = await login(browser, { user });
  const cookie = sessionCookie(callback);
  if (callback.status !== 302 || cookie === undefined) throw new Error(`login did not complete: ${callback.status} ${callback.text}`);
  return { browser, cookie, sid: sessionIdOf(cookie) };
}

/** Only the OP leg: returns the callback path+query without calling the BFF. */
export async function authorizeAtOp(browser: TestBrowser, user = 'alice'): Promise<string> {
  const start = await browser.agent.get('/bff/login').expect(302);
  const back = await browser.op.signIn(start.headers.location!, user);
  return back.pathname + back.search;
}

export const getUser = (browser: TestBrowser) => browser.agent.get('/bff/user').set('X-CSRF', '1');

/** Every response the browser saw must be free of tokens. */
export function assertNoTokens(body: string): void {
  // A JWT (JWS or JWE) in compact form, or an opaque oidc-provider token is never shown to the browser.
  if (/eyJ[\w-]{5,}\.[\w-]*\.[\w-]*/.test(body)) throw new Error(`response carries a JWT: ${body.slice(0, 200)}`);
}

/** The Set-Cookie lines of a response (supertest types them loosely). */
export function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const value = res.headers['set-cookie'];
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}

/** "name=value" of the session cookie a response sets, if any. */
export function sessionCookie(res: { headers: Record<string, unknown> }, name = 'bff-session'): string | undefined {
  return setCookies(res)
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];
}

/** The express-session id inside a signed session cookie ("name=s:<id>.<signature>"). */
export function sessionIdOf(cookie: string): string {
  return decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
    .slice(2)
    .split('.')[0]!;
}

/** A port nothing listens on (for an unreachable OP or Redis, or to reserve one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A minimal browser for BFF processes started with spawn: fetch with a cookie jar, no redirects followed. */
export class FetchBrowser {
  private readonly cookies = new Map<string, string>();

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { ...headers, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

/** Starts `src/server.ts` as its own process; resolves once it listens. */
export interface SpawnedBff {
  url: string;
  process: import('node:child_process').ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  /** Resolves once the output contains `text` (20 s at most). */
  waitFor(text: string): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function spawnBff(env: Env): Promise<SpawnedBff> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port) },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${text}" from the BFF: ${output}`)), 20_000);
      const check = () => output.includes(text) && (clearTimeout(timer), resolve());
      child.stdout.on('data', check);
      child.once('exit', (code) => reject(new Error(`BFF exited with ${code}: ${output}`)));
      check();
    });
  await waitFor('Sealed BFF listening');
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    waitFor,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
