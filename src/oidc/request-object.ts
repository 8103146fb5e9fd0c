// Encrypted request objects (JAR, RFC 9101): openid-client signs the request
// object; when BFF_REQUEST_OBJECT=encrypted we then encrypt it to the OP's
// "enc" key from its jwks_uri (as Signicat's message-level encryption expects).
// Unless BFF_REQUEST_OBJECT_ALG/_ENC fix them, alg and enc come from the OP:
// the `alg` its enc key declares (Signicat: "the values for kid and alg are
// specified" in its JWKS) and what its metadata allows.
import { CompactEncrypt, importJWK } from 'jose';
import type * as oidc from 'openid-client';
import { DEFAULT_REQUEST_OBJECT_ALG, DEFAULT_REQUEST_OBJECT_ENC, SUPPORTED_JWE_ALGS, SUPPORTED_JWE_ENCS } from '../algorithms.js';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import { OpMetadataError } from './metadata-check.js';
import { encryptionCandidates, isEncryptionKey, type OpKeys } from './op-keys.js';

/** The JWE algorithms request objects are encrypted with, and where they came from. */
export interface RequestObjectEncryption {
  alg: string;
  enc: string;
  source: { alg: 'setting' | 'op_key' | 'op_metadata'; enc: 'setting' | 'default' | 'op_metadata' };
}

export class RequestObjectEncrypter {
  private chosen: RequestObjectEncryption | undefined;

  /** `opKeys`: the OP's published keys (one cache for all their uses, refetched when the OP rotates). */
  constructor(
    private readonly config: Config,
    private readonly opKeys: OpKeys,
  ) {}

  /**
   * Chooses alg and enc (at discovery, so that start says what was chosen).
   * Throws OpMetadataError when nothing the OP offers fits.
   */
  async negotiate(meta: oidc.ServerMetadata): Promise<RequestObjectEncryption> {
    const set = this.config.requestObjectEncryption;
    const algs = listOrUndefined(meta.request_object_encryption_alg_values_supported);
    const encs = listOrUndefined(meta.request_object_encryption_enc_values_supported);
    const opKeys = (await this.opKeys.published()).filter(isEncryptionKey);
    let alg: string | undefined = set.alg;
    let algSource: RequestObjectEncryption['source']['alg'] = 'setting';
    if (alg === undefined) {
      // The alg the OP's key declares is the one it decrypts with; else the best its metadata allows for its key type.
      const declared = opKeys
        .map((k) => k.alg)
        .find((a) => a !== undefined && SUPPORTED_JWE_ALGS.includes(a) && (!algs || algs.includes(a)));
      const offered = [DEFAULT_REQUEST_OBJECT_ALG, ...(algs ?? [])].filter(
        (a) => SUPPORTED_JWE_ALGS.includes(a) && (!algs || algs.includes(a)) && encryptionCandidates(opKeys, a).length > 0,
      );
      alg = declared ?? offered[0];
      algSource = declared !== undefined ? 'op_key' : 'op_metadata';
    }
    const problems: string[] = [];
    if (alg === undefined) {
      problems.push(
        'no "enc" key in the jwks_uri fits a request_object_encryption_alg_values_supported this BFF supports (BFF_REQUEST_OBJECT=encrypted)',
      );
    } else if (!algs?.includes(alg)) {
      problems.push(`request_object_encryption_alg_values_supported lacks ${alg} (BFF_REQUEST_OBJECT_ALG)`);
    }
    let enc: string | undefined = set.enc;
    let encSource: RequestObjectEncryption['source']['enc'] = 'setting';
    if (enc === undefined) {
      const fallback = !encs || encs.includes(DEFAULT_REQUEST_OBJECT_ENC);
      enc = fallback ? DEFAULT_REQUEST_OBJECT_ENC : encs.find((e) => SUPPORTED_JWE_ENCS.includes(e));
      encSource = fallback ? 'default' : 'op_metadata';
    }
    if (enc === undefined || (encs && !encs.includes(enc))) {
      problems.push(`request_object_encryption_enc_values_supported lacks ${enc ?? 'any this BFF supports'} (BFF_REQUEST_OBJECT_ENC)`);
    }
    if (problems.length > 0) throw new OpMetadataError(problems);
    this.chosen = { alg: alg!, enc: enc!, source: { alg: algSource, enc: encSource } };
    return this.chosen;
  }

  async encrypt(signedRequestObject: string, configuration: oidc.Configuration): Promise<string> {
    const { alg, enc } = this.chosen ?? (await this.negotiate(configuration.serverMetadata()));
    const jwk = await this.opKeys.encryptionKey(alg);
    let key: Awaited<ReturnType<typeof importJWK>>;
    try {
      key = await importJWK(jwk, alg);
    } catch (err) {
      throw new BffError(502, 'jwks_response_invalid', `The OpenID Provider's "enc" key for ${alg} is not usable.`, { cause: err });
    }
    return new CompactEncrypt(new TextEncoder().encode(signedRequestObject))
      .setProtectedHeader({ alg, enc, cty: 'JWT', typ: 'JWE', ...(jwk.kid ? { kid: jwk.kid } : {}) })
      .encrypt(key);
  }
}

function listOrUndefined(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}
