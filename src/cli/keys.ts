#!/usr/bin/env node
// `npm run keys -- [options]`: generates the BFF's key set. Writes the private
// JWKS (file mode 0600) for BFF_KEYS_FILE and prints the public JWKS to
// register at the OP (or serve it from /.well-known/jwks.json).
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KEYGEN_DEFAULT_ENC, KEYGEN_DEFAULT_SIG, KEYGEN_SIGNING_ALGS, SUPPORTED_JWE_ALGS } from '../algorithms.js';
import { generateKeySet, type KeySpec } from '../keygen.js';
import { runKeySchedule } from './key-schedule.js';

const USAGE = `usage: npm run keys -- [--sig ALG]... [--enc ALG]... [--rsa-bits N] [--out FILE] [--force]
       npm run keys -- --plan FILE [--lead DAYS] [--overlap DAYS] | --schedule FILE | --export FILE

  --sig ALG      a signing key: ${KEYGEN_SIGNING_ALGS.join(', ')} (default ${KEYGEN_DEFAULT_SIG})
  --enc ALG      an encryption key: ${SUPPORTED_JWE_ALGS.join(', ')} (default ${KEYGEN_DEFAULT_ENC})
  --rsa-bits N   RSA modulus length, at least 2048 (default 2048)
  --out FILE     where to write the private JWKS (default bff-keys.json), mode 0600
  --force        overwrite FILE if it exists
  --federation   a federation key set (BFF_FEDERATION_KEYS_FILE): signing keys only

  --plan FILE    schedule a rotation in FILE (in place): a successor for every key in effect,
                 in effect from now + --lead days (default 14), the old key expiring
                 --overlap days later (default 1); prints the schedule
  --schedule FILE  prints what each key of FILE does now and when that changes
  --export FILE  prints the public JWKS the BFF publishes now (successors included),
                 for OPs that register keys statically
`;

function fail(message: string): never {
  process.stderr.write(`sealed-bff keys: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      sig: { type: 'string', multiple: true },
      enc: { type: 'string', multiple: true },
      'rsa-bits': { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean' },
      federation: { type: 'boolean' },
      plan: { type: 'string' },
      schedule: { type: 'string' },
      export: { type: 'string' },
      lead: { type: 'string' },
      overlap: { type: 'string' },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (values.plan !== undefined || values.schedule !== undefined || values.export !== undefined) {
  await runKeySchedule(values, fail);
  process.exit(0);
}

const sig = values.sig ?? [KEYGEN_DEFAULT_SIG];
// A federation key set (BFF_FEDERATION_KEYS_FILE) only signs.
const enc = values.federation ? [] : (values.enc ?? [KEYGEN_DEFAULT_ENC]);
for (const alg of sig) if (!KEYGEN_SIGNING_ALGS.includes(alg)) fail(`--sig ${alg} is not supported`);
for (const alg of enc) if (!SUPPORTED_JWE_ALGS.includes(alg)) fail(`--enc ${alg} is not supported`);
const rsaBits = Number(values['rsa-bits'] ?? 2048);
if (!Number.isInteger(rsaBits) || rsaBits < 2048 || rsaBits > 8192) fail('--rsa-bits must be 2048 to 8192');
const out = values.out ?? 'bff-keys.json';
if (existsSync(out) && !values.force) fail(`${out} exists; use --force to overwrite it`);

const specs: KeySpec[] = [
  ...sig.map((alg): KeySpec => ({ use: 'sig', alg, modulusLength: alg.startsWith('ES') ? undefined : rsaBits })),
  ...enc.map((alg): KeySpec => ({ use: 'enc', alg, modulusLength: alg.startsWith('RSA') ? rsaBits : undefined })),
];
const { privateJwks, publicJwks } = await generateKeySet(specs);
writeFileSync(out, `${JSON.stringify(privateJwks, null, 2)}\n`, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
chmodSync(out, 0o600); // an overwritten file keeps its old mode otherwise
process.stderr.write(`Wrote the private key set to ${out} (mode 0600): set BFF_KEYS_FILE=${out}.\nRegister this public JWKS at the OP:\n`);
process.stdout.write(`${JSON.stringify(publicJwks, null, 2)}\n`);
