// A private key file written inside a git work tree is one `git add .` away
// from a repository (and from an image built from it). `sealed-bff keys`
// says so when it writes one there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** The root of the git work tree `path` lies in, if any. */
export function gitWorkTreeOf(path: string): string | undefined {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export function warnIfInsideGitWorkTree(file: string): void {
  const root = gitWorkTreeOf(file);
  if (root === undefined) return;
  // 0: ignored, 1: not ignored, anything else (no git installed): unknown.
  const check = spawnSync('git', ['-C', root, 'check-ignore', '-q', relative(root, resolve(file))], { stdio: 'ignore' });
  const ignored = check.status === 0 ? 'it is git-ignored, ' : check.status === 1 ? 'it is NOT git-ignored, ' : '';
  process.stderr.write(
    `sealed-bff keys: warning: ${file} is a private key file inside the git work tree ${root}: ${ignored}` +
      'never commit it or copy it into an image; keep it outside the repository (e.g. a secrets mount) if you can.\n',
  );
}
