// What the BFF says at start about a configuration that works but is weaker
// than the default, or carries a name it does not read. One list, for the
// server's start-up log and for `sealed-bff check`.
import { statSync } from 'node:fs';
import type { Config, Env } from './config.js';
import { describeUnknown, unknownVariables } from './config/variables.js';
import { ENCRYPTED_ITEMS } from './config/op-client.js';

export function configurationWarnings(config: Config, env: Env): string[] {
  const warnings = unknownVariables(env).map(describeUnknown);
  if (config.redis === undefined) {
    warnings.push(
      'REDIS_URL is not set: sessions live in process memory (development only; lost on restart, not shared between instances)',
    );
  }
  if (config.allowHttp) {
    warnings.push('BFF_ALLOW_HTTP=1: plain-http issuer and public URL are permitted (local development and tests only)');
  }
  if (config.development) {
    warnings.push('NODE_ENV=development: GET /bff/diagnostics shows how the OP protected each sign-in (development only)');
  }
  if (config.clientAuth !== 'private_key_jwt') {
    warnings.push(`client authentication uses a shared secret (${config.clientAuth}); private_key_jwt is stronger`);
  }
  const plaintext = ENCRYPTED_ITEMS.filter(
    (item) => !config.jose.requireEncryption.includes(item) && (item !== 'authorization_response' || config.responseMode !== 'query'),
  );
  if (plaintext.length > 0 && config.keys.decryption.length > 0) {
    warnings.push(`BFF_REQUIRE_ENCRYPTION: ${plaintext.join(', ')} accepted in plaintext although this BFF holds "enc" keys`);
  }
  if (config.keys.decryption.length === 0) {
    warnings.push('no "use":"enc" keys: the OP cannot encrypt id_tokens or userinfo to this BFF');
  }
  const keysFileMode = config.keysFile === undefined ? undefined : statSync(config.keysFile, { throwIfNoEntry: false })?.mode;
  if (keysFileMode !== undefined && (keysFileMode & 0o007) !== 0) {
    const mode = (keysFileMode & 0o777).toString(8).padStart(4, '0');
    warnings.push(
      `BFF_KEYS_FILE ${config.keysFile} is readable by every user of this host (mode ${mode}): chmod 0400 (or 0440 with a group)`,
    );
  }
  if (config.dpop === 'off') {
    warnings.push('BFF_DPOP=off: access tokens are bearer tokens, usable by whoever obtains one');
  }
  return warnings;
}
