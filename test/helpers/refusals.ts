// A login the BFF must refuse: the one check every test of a tampered OP
// answer makes (test/jose-policy.test.ts, test/conformance.test.ts).
import assert from 'node:assert/strict';
import type { HostileOp } from '../fixtures/hostile-op.js';
import { getUser, login, type TestBff } from './harness.js';

export interface RefusalOptions {
  /** The callback's status (default 502: the OP's answer was bad). */
  status?: number;
  /** An OP path the BFF must not call after the refusal (the conformance suite fails a client that does). */
  noCallTo?: string;
}

/**
 * Logs in at `bff` with `op`'s answers as tampered, then resets the tampering.
 * Asserts the refusal `code` and status, no token in the answer or the log,
 * no session, and no later call to `noCallTo`.
 */
export async function expectLoginRefused(bff: TestBff, op: HostileOp, code: string, options: RefusalOptions = {}): Promise<void> {
  const browser = bff.browser();
  const mark = op.requests.length;
  const res = await login(browser);
  op.tamper = {};
  const body = res.body as { error?: string; error_description?: string };
  assert.equal(body.error, code, `status ${res.status}: ${res.text}`);
  assert.equal(res.status, options.status ?? 502);
  assert.equal(String(body.error_description).includes('eyJ'), false);
  await getUser(browser).expect(401);
  assert.doesNotMatch(bff.logs.text, /eyJ[\w-]{10,}\./, 'no token in the log');
  if (options.noCallTo !== undefined) {
    const called = op.requests.slice(mark).map((r) => r.path);
    assert.equal(called.includes(options.noCallTo), false, `${options.noCallTo} was called after the refusal`);
  }
}
