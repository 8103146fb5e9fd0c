// The package's public API is what users need: createApp, loadConfig and
// their types. The published declarations must not reach the internal
// service bag (context, stores, sessions, OIDC services, routes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as publicApi from '../src/app.js';

/** Every declaration file the entry point's types import, transitively. */
function declarationClosure(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), spec!.replace(/\.js$/, '.d.ts'));
      if (existsSync(target)) pending.push(target);
    }
  }
  return [...seen];
}

describe('public API', () => {
  it('exports createApp, loadConfig, ConfigError and BffError, nothing internal', () => {
    assert.deepEqual(Object.keys(publicApi).sort(), ['BffError', 'ConfigError', 'createApp', 'loadConfig']);
  });

  it('publishes declarations that reach only the configuration, error, key and logger types', () => {
    const out = mkdtempSync(join(tmpdir(), 'sbff-dts-'));
    try {
      execFileSync(process.execPath, [
        'node_modules/typescript/bin/tsc',
        '-p',
        'tsconfig.build.json',
        '--emitDeclarationOnly',
        '--outDir',
        out,
      ]);
      const reached = declarationClosure(join(out, 'app.d.ts'))
        .map((file) => file.slice(out.length + 1))
        .sort();
      // key-schedule.d.ts: a key's nbf/exp (KeyTimes), part of the key types of Config.keys.
      const publicTypes = [
        'app.d.ts',
        'config.d.ts',
        'errors.d.ts',
        'error-codes.d.ts',
        'keys.d.ts',
        'key-schedule.d.ts',
        'algorithms.d.ts',
        'logger.d.ts',
      ];
      assert.deepEqual(
        reached.filter((file) => !publicTypes.includes(file) && !file.startsWith('config/')),
        [],
      );
      assert.doesNotMatch(readFileSync(join(out, 'app.d.ts'), 'utf8'), /\bBffContext\b|\binternals\b|\bStores\b|: Sessions\b/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
