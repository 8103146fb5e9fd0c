// The error catalogue (src/error-codes.ts) and the README's "## Errors" table
// list the same codes with the same statuses; the literal codes in src/ use
// the catalogue's statuses. Pure: no servers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCatalogue } from '../src/error-codes.js';
import { BffError } from '../src/errors.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const SRC = new URL('../src/', import.meta.url).pathname;

/** "<status> <code>" for every code of every row of the README's Errors table. */
function readmeCodes(): Set<string> {
  const start = README.indexOf('\n## Errors\n');
  assert.ok(start >= 0, 'README has a "## Errors" section');
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  const pairs = new Set<string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (!/^\d{3}$/.test(cells[1] ?? '')) continue; // the header, the separator, prose
    // Only codes, spelled out: a "…" or a wildcard would hide codes from the comparison.
    assert.match(cells[2]!, /^`[a-z0-9_]+`(, `[a-z0-9_]+`)*$/, `README row lists codes only: ${line.slice(0, 120)}`);
    for (const [, code] of cells[2]!.matchAll(/`([a-z0-9_]+)`/g)) pairs.add(`${cells[1]} ${code}`);
  }
  assert.ok(pairs.size > 0, 'the Errors table has rows');
  return pairs;
}

function catalogueCodes(): Set<string> {
  const pairs = new Set<string>();
  for (const [code, statuses] of errorCatalogue()) for (const status of statuses) pairs.add(`${status} ${code}`);
  return pairs;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('error codes', () => {
  it("the README lists exactly the catalogue's codes, with their statuses", () => {
    const documented = readmeCodes();
    const catalogued = catalogueCodes();
    const undocumented = [...catalogued].filter((pair) => !documented.has(pair)).sort();
    const unknown = [...documented].filter((pair) => !catalogued.has(pair)).sort();
    assert.deepEqual({ undocumented, unknown }, { undocumented: [], unknown: [] });
  });

  it('every literal status and code in src/ is one the catalogue has', () => {
    const catalogue = errorCatalogue();
    const uses: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const [, status, code] of text.matchAll(/new BffError\(\s*(\d{3}),\s*'([a-z0-9_]+)'/g)) uses.push(`${status} ${code}`);
      for (const [, code] of text.matchAll(/badRequest\(\s*'([a-z0-9_]+)'/g)) uses.push(`400 ${code}`);
    }
    assert.ok(uses.length > 20, `found the call sites (${uses.length})`);
    const wrong = uses.filter((use) => {
      const [status, code] = use.split(' ') as [string, string];
      return !catalogue.get(code as never)?.includes(Number(status));
    });
    assert.deepEqual(wrong, []);
  });

  it("the README's Troubleshooting section gives every code a cause and a fix", () => {
    const start = README.indexOf('\n## Troubleshooting\n');
    assert.ok(start >= 0, 'README has a "## Troubleshooting" section');
    const section = README.slice(start, README.indexOf('\n## ', start + 1));
    const covered = new Set<string>();
    for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
      const [codes = '', cause = '', fix = ''] = line.split(' | ');
      assert.ok(cause.trim().length > 10 && fix.trim().length > 5, `a cause and a fix: ${line.slice(0, 100)}`);
      for (const [, code] of codes.matchAll(/`([a-z0-9_]+)`/g)) covered.add(code!);
    }
    assert.deepEqual(
      [...errorCatalogue().keys()].filter((code) => !covered.has(code)),
      [],
    );
  });

  it('BffError takes only catalogued codes', () => {
    // @ts-expect-error: the type check (npm test runs it first) fails if an unknown code compiles.
    const unknown = new BffError(400, 'no_such_code', 'Never answered.');
    assert.equal(unknown.code, 'no_such_code');
  });
});
