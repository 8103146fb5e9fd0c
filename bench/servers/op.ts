// The test OP (oidc-provider) in a process of its own, for bench/heap-check.ts.
import type { JWK } from 'jose';
import { bffClient, startOp } from '../../test/fixtures/op.js';

const op = await startOp({ clients: [bffClient('bff', 'http://bff.test', JSON.parse(process.env.JWKS!) as { keys: JWK[] })] });
process.stdout.write(`ISSUER ${op.issuer}\n`);
