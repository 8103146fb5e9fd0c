// The deployment files as shipped: key files and secrets never reach git or
// an image by accident; the image runs as uid 1000 on the current Node LTS;
// the compose example has a Redis password, health checks and read-only root
// filesystems. (No Docker engine runs here: production-build.test.ts runs the
// image's steps; this reads the files that configure them.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const KEY_FILES = [
  'bff-keys.json',
  'bff-keys-2026.json',
  'secrets/session-secret',
  'secrets/bff-keys.json',
  '.env',
  '.env.production',
  'x.private.jwks.json',
];

describe('deployment files', () => {
  it('git ignores key files, secrets and .env files (and the examples stay tracked)', () => {
    const ignored = (path: string) => spawnSync('git', ['check-ignore', '-q', '--no-index', path]).status === 0;
    for (const path of KEY_FILES) assert.ok(ignored(path), `${path} is git-ignored`);
    for (const path of ['examples/env/ftn-signicat.env', 'public/index.html', 'package.json'])
      assert.ok(!ignored(path), `${path} is tracked`);
  });

  it('keeps the same files out of the image build context', () => {
    const patterns = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    // .dockerignore patterns: relative to the context's root, * within one segment, a folder covers what is in it.
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .replace(/\/$/, '')
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')}(/.*)?$`,
      );
    const matches = (path: string) => patterns.some((pattern) => glob(pattern).test(path));
    for (const path of KEY_FILES) assert.ok(matches(path), `${path} is in .dockerignore`);
  });

  it('builds on the current Node LTS and runs as the numeric uid 1000', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:26-slim$/m);
    assert.equal(dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm)?.length, 3);
    assert.match(dockerfile, /^USER 1000:1000$/m);
    assert.doesNotMatch(dockerfile, /^COPY \. /m, 'never the whole build context (key files)');
  });

  it('gives the compose example a Redis password, health checks, read-only root filesystems and file secrets', () => {
    const compose = readFileSync('docker-compose.yml', 'utf8');
    assert.match(compose, /redis-server --requirepass "\$\$REDIS_PASSWORD"/);
    assert.match(compose, /REDIS_URL: redis:\/\/:\$\{REDIS_PASSWORD\}@redis:6379/);
    assert.match(compose, /healthcheck:\n\s+test: \['CMD-SHELL', 'REDISCLI_AUTH=/);
    assert.match(compose, /condition: service_healthy/);
    assert.equal(compose.match(/^\s+read_only: true$/gm)?.length, 2);
    assert.equal(compose.match(/^\s+cap_drop: \[ALL\]$/gm)?.length, 2);
    assert.match(compose, /BFF_KEYS_FILE: \/run\/secrets\/bff-keys\n/);
    assert.match(compose, /BFF_SESSION_SECRET_FILE: \/run\/secrets\/session-secret\n/);
    assert.doesNotMatch(compose, /BFF_SESSION_SECRET:/, 'no secret in the environment');
  });
});
