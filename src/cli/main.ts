#!/usr/bin/env node
// The `sealed-bff` command: one entry for the package's subcommands. Each
// subcommand is its own module, loaded only when asked for, so that `start`
// costs nothing extra and `keys` needs no configuration. Installed as
// `sealed-bff-keys` too (the earlier name of `sealed-bff keys`): the name it
// is called by picks the subcommand.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { warnIfInsideGitWorkTree } from './git-warning.js';

const USAGE = `usage: sealed-bff <command> [options]

commands:
  start    run the BFF; the configuration comes from the environment (README: Configuration)
  check    check the configuration without starting: every problem at once, then the session store and the OP:
           what fits, what the BFF will use there, what to register (exit 0 when all is well, else 2)
  keys     generate the BFF's private key set and print its public JWKS (sealed-bff keys --help)

options:
  -h, --help     print this text
  -v, --version  print the version
`;

function version(): string {
  // ../../package.json from both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function keys(args: string[]): Promise<void> {
  // cli/keys.ts reads its options from process.argv, as when it ran alone.
  process.argv.splice(2, process.argv.length - 2, ...args);
  try {
    await import('./keys.js');
  } catch (err) {
    // e.g. a folder it may not write to: one line, no stack trace.
    process.stderr.write(`sealed-bff keys: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (!args.includes('--help')) warnIfInsideGitWorkTree(outputOf(args));
}

async function check(): Promise<never> {
  const { runCheck } = await import('./check.js');
  const code = await runCheck(process.env, (line) => process.stdout.write(`${line}\n`));
  // The session store's reconnect timer must not keep the process alive.
  process.exit(code);
}

/** The file `keys` writes: its --out, or its default. */
function outputOf(args: string[]): string {
  const at = args.findIndex((arg) => arg === '--out' || arg.startsWith('--out='));
  if (at === -1) return 'bff-keys.json';
  return args[at]!.startsWith('--out=') ? args[at]!.slice('--out='.length) : (args[at + 1] ?? 'bff-keys.json');
}

async function main(argv: string[]): Promise<void> {
  if (basename(process.argv[1] ?? '').startsWith('sealed-bff-keys')) return keys(argv);
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      if (args.length > 0) return usageError(`start takes no arguments (got ${args.join(' ')}); configure it with environment variables`);
      await import('../server.js');
      return;
    case 'check':
      if (args.length > 0) return usageError(`check takes no arguments (got ${args.join(' ')}); it reads the environment`);
      return check();
    case 'keys':
      return keys(args);
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return;
    case '-v':
    case '--version':
      process.stdout.write(`${version()}\n`);
      return;
    case undefined:
      return usageError('a command is required');
    default:
      return usageError(`unknown command ${command}`);
  }
}

function usageError(message: string): never {
  process.stderr.write(`sealed-bff: ${message}\n\n${USAGE}`);
  process.exit(2);
}

// Whatever a subcommand did not expect still ends in one line, never a stack trace.
await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`sealed-bff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
