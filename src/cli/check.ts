// `sealed-bff check`: reads the environment the server would read, reports
// every problem at once, then contacts the session store and the OP and says
// what fits, what the BFF will use with this OP, and what to register there.
// Exit 0 when the server would start and serve logins, 2 otherwise. It never
// prints a secret, a private key or a stack trace.
import { createServer } from 'node:net';
import type { Config, Env } from '../config.js';
import { describeUnknown, unknownVariables } from '../config/variables.js';
import { KeyStore } from '../keys.js';
import { createLogger, describe } from '../logger.js';
import { OpMetadataError } from '../oidc/metadata-check.js';
import { OpenIdProvider } from '../oidc/provider.js';
import { OpFederationTrust } from '../federation/op-trust.js';
import { BffMetrics } from '../metrics.js';
import { createStores } from '../store/stores.js';
import { configurationWarnings } from '../warnings.js';
import { collectConfigErrors } from './collect-config.js';
import { negotiate } from './check-op.js';

export type Print = (line: string) => void;

export async function runCheck(env: Env, print: Print): Promise<0 | 2> {
  const { config, errors, incomplete } = await collectConfigErrors(env);
  print('Configuration');
  if (config === undefined) {
    for (const unknown of unknownVariables(env)) print(`  warning  ${describeUnknown(unknown)}`);
    for (const error of errors) print(`  error    ${error.message}`);
    if (incomplete) print('  (some variables could not be checked until the errors above are fixed)');
    print(
      `\n${errors.length} configuration ${errors.length === 1 ? 'problem' : 'problems'}: the BFF would not start. Not contacting the OP.`,
    );
    return 2;
  }
  for (const warning of configurationWarnings(config, env)) print(`  warning  ${warning}`);
  print(
    `  ok       every variable is valid (profile ${config.profile}, ${config.keys.signing.length} signing and ${config.keys.decryption.length} decryption keys)`,
  );
  const portInUse = await inUse(config.port);
  if (portInUse) print(`  warning  PORT ${config.port} is in use on this host now: a start here would fail`);

  let problems = (await checkStore(config, print)) ? 0 : 1;
  problems += (await checkOp(config, print)) ? 0 : 1;
  print(problems === 0 ? '\nAll checks passed.' : '\nThe BFF would start, but it could not serve logins: see the errors above.');
  return problems === 0 ? 0 : 2;
}

async function checkStore(config: Config, print: Print): Promise<boolean> {
  print('\nSession store');
  if (config.redis === undefined) {
    print('  warning  process memory (no REDIS_URL): development only');
    return true;
  }
  const stores = createStores(config, createLogger('silent'));
  const wait = config.redisCommandTimeoutMs + 1000;
  try {
    await Promise.race([stores.ready(), new Promise((resolve) => setTimeout(resolve, wait).unref())]);
    await stores.ping();
    print(`  ok       Redis (${config.redis.mode}) answers`);
    return true;
  } catch (err) {
    print(
      `  error    ${redisVariable(config)}: Redis (${config.redis.mode}) does not answer within ${wait} ms (${describe(err).message ?? 'no reply'})`,
    );
    return false;
  } finally {
    await stores.close().catch(() => {});
  }
}

function redisVariable(config: Config): string {
  return config.redis?.mode === 'cluster' ? 'BFF_REDIS_CLUSTER' : config.redis?.mode === 'sentinel' ? 'BFF_REDIS_SENTINELS' : 'REDIS_URL';
}

async function checkOp(config: Config, print: Print): Promise<boolean> {
  print(`\nOpenID Provider ${config.issuer.href}`);
  const logger = createLogger('silent');
  // As start builds it (app.ts): with BFF_OP_FEDERATION_KEYS the OP's metadata and keys come verified from its Entity Configuration.
  const trust =
    config.opFederation &&
    new OpFederationTrust(config, config.opFederation.thumbprints, logger, new BffMetrics({ processMetrics: false }));
  const provider = new OpenIdProvider(config, new KeyStore(config.keys, { file: config.keysFile }), logger, { trust });
  let meta;
  try {
    meta = (await provider.configuration()).serverMetadata();
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof OpMetadataError) {
      print('  ok       discovery document loaded');
      for (const problem of cause.problems) print(`  error    the OP's metadata: ${problem}`);
    } else {
      print(`  error    BFF_ISSUER: the discovery document cannot be loaded (${describe(cause ?? err).message ?? 'unknown error'})`);
    }
    return false;
  }
  print('  ok       discovery document loaded; its metadata fits this configuration');
  const requestObjects = config.requestObject === 'encrypted' ? await provider.requestObjects.negotiate(meta) : undefined;
  const { lines, registration } = negotiate(meta, config, requestObjects);
  print('\nWhat the BFF will use with this OP');
  for (const line of lines) print(`  ${line}`);
  print('\nRegister this client at the OP (OpenID Connect Dynamic Client Registration names)');
  for (const line of JSON.stringify(registration, null, 2).split('\n')) print(`  ${line}`);
  print(`\n  The public keys: ${config.publicUrl.origin}/.well-known/jwks.json serves them; or register this JWKS:`);
  for (const line of JSON.stringify(config.keys.publicJwks, null, 2).split('\n')) print(`  ${line}`);
  return true;
}

/** Whether something already listens on the port (0: any free port, never in use). */
async function inUse(port: number): Promise<boolean> {
  if (port === 0) return false;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen(port, () => probe.close(() => resolve(false)));
  });
}
