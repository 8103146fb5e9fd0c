// The BFF as an OpenID Federation 1.0 leaf entity: its Entity Configuration
// (a self-signed Entity Statement at /.well-known/openid-federation) and its
// signed JWKS (a jwk-set+jwt of exactly the keys of /.well-known/jwks.json),
// both signed with a federation key (BFF_FEDERATION_KEYS_FILE), which signs
// nothing else. Each is cached and signed again when the keys in effect change
// (a rollover, a reload) or when half its lifetime has passed, so a reader
// never gets one with less than half of BFF_FEDERATION_LIFETIME left.
import { SignJWT, type JWK } from 'jose';
import type { Config, EncryptedItem, FederationConfig } from '../config.js';
import type { KeySet, KeyStore } from '../keys.js';

export const ENTITY_CONFIGURATION_PATH = '/.well-known/openid-federation';
export const SIGNED_JWKS_PATH = '/.well-known/signed-jwks.jwt';
export const BACKCHANNEL_LOGOUT_PATH = '/bff/backchannel-logout';

interface Signed {
  jwt: string;
  iat: number;
  /** The key sets it was made from: a different one means it is out of date. */
  basis: [KeySet, KeySet];
}

export class FederationEntity {
  private readonly cache = new Map<'entity' | 'jwks', Promise<Signed>>();

  constructor(
    private readonly config: Config,
    private readonly federation: FederationConfig,
    /** The operational keys (BFF_KEYS): published in the signed JWKS. */
    private readonly keys: KeyStore,
    /** The federation keys: sign both documents; published in the Entity Configuration. */
    private readonly federationKeys: KeyStore,
  ) {}

  /** The Entity Configuration, compact JWS (`typ` entity-statement+jwt). */
  entityConfiguration(): Promise<string> {
    return this.cached('entity', (basis, iat) => this.sign('entity-statement+jwt', this.entityClaims(basis[0]), iat));
  }

  /** The signed JWKS, compact JWS (`typ` jwk-set+jwt). */
  signedJwks(): Promise<string> {
    return this.cached('jwks', (basis, iat) => this.sign('jwk-set+jwt', { keys: basis[0].publicJwks.keys }, iat));
  }

  /** Seconds a reader may cache what it fetched: until the next re-signing at the latest. */
  maxAgeSeconds(): number {
    return Math.min(300, Math.floor(this.federation.lifetimeSeconds / 2));
  }

  private async cached(which: 'entity' | 'jwks', make: (basis: [KeySet, KeySet], iat: number) => Promise<string>): Promise<string> {
    const now = Math.floor(this.federationKeys.nowSeconds());
    const basis: [KeySet, KeySet] = [this.keys.current, this.federationKeys.current];
    const held = this.cache.get(which);
    const fresh = (signed: Signed) =>
      signed.basis[0] === basis[0] && signed.basis[1] === basis[1] && now < signed.iat + this.federation.lifetimeSeconds / 2;
    if (held !== undefined) {
      const signed = await held.catch(() => undefined);
      if (signed !== undefined && fresh(signed)) return signed.jwt;
    }
    const signing = make(basis, now).then((jwt): Signed => ({ jwt, iat: now, basis }));
    this.cache.set(which, signing);
    return (await signing).jwt;
  }

  private async sign(typ: string, claims: Record<string, unknown>, iat: number): Promise<string> {
    const key = this.federationKeys.current.signing[0];
    if (key === undefined) throw new Error('no federation key is in effect (every one is before its nbf or past its exp)');
    const { entityId, lifetimeSeconds } = this.federation;
    return new SignJWT({ ...claims, iss: entityId, sub: entityId, iat, exp: iat + lifetimeSeconds })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .sign(key.key);
  }

  private entityClaims(keys: KeySet): Record<string, unknown> {
    const { authorityHints } = this.federation;
    return {
      jwks: { keys: this.federationKeys.current.publicJwks.keys },
      ...(authorityHints.length > 0 ? { authority_hints: authorityHints } : {}),
      metadata: { openid_relying_party: relyingPartyMetadata(this.config, this.federation, keys) },
    };
  }
}

/**
 * The client metadata an OP needs, from the running configuration (OpenID
 * Connect Registration 1.0, RFC 9449 for DPoP, OpenID Federation 1.0 for
 * signed_jwks_uri and client_registration_types).
 */
export function relyingPartyMetadata(config: Config, federation: FederationConfig, keys: KeySet): Record<string, unknown> {
  const origin = config.publicUrl.origin;
  const signingAlg = keys.signing[0]?.alg;
  const meta: Record<string, unknown> = {
    // The OP assigned a client_id of its own (explicit registration), or the entity id is the client_id (automatic).
    ...(config.clientId !== federation.entityId ? { client_id: config.clientId } : {}),
    client_registration_types: [config.clientId === federation.entityId ? 'automatic' : 'explicit'],
    redirect_uris: [config.redirectUri],
    post_logout_redirect_uris: [config.postLogoutRedirectUri],
    backchannel_logout_uri: `${origin}${BACKCHANNEL_LOGOUT_PATH}`,
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: config.clientAuth,
    signed_jwks_uri: `${origin}${SIGNED_JWKS_PATH}`,
  };
  if (config.clientAuth === 'private_key_jwt' && signingAlg !== undefined) meta.token_endpoint_auth_signing_alg = signingAlg;
  const encAlg = encryptionAlg(
    keys.publicJwks.keys.find((k) => k.use === 'enc'),
    config,
  );
  // What must arrive encrypted (BFF_REQUIRE_ENCRYPTION, item by item) is what the OP is asked to encrypt.
  const encrypted = (item: EncryptedItem) => encAlg !== undefined && config.jose.requireEncryption.includes(item);
  const enc = config.jose.jweEncs[0];
  if (encrypted('id_token')) Object.assign(meta, { id_token_encrypted_response_alg: encAlg, id_token_encrypted_response_enc: enc });
  if (encrypted('userinfo')) Object.assign(meta, { userinfo_encrypted_response_alg: encAlg, userinfo_encrypted_response_enc: enc });
  if (config.responseMode !== 'query') {
    // JARM (BFF_RESPONSE_MODE): the OP signs with what it publishes; encrypted to the BFF when required.
    if (encrypted('authorization_response')) {
      Object.assign(meta, { authorization_encrypted_response_alg: encAlg, authorization_encrypted_response_enc: enc });
    }
  }
  if (config.requestObject !== 'none' && signingAlg !== undefined) meta.request_object_signing_alg = signingAlg;
  // Unset, BFF_REQUEST_OBJECT_ALG/_ENC are taken from the OP at discovery: nothing to declare here.
  if (config.requestObject === 'encrypted' && config.requestObjectEncryption.alg !== undefined) {
    meta.request_object_encryption_alg = config.requestObjectEncryption.alg;
  }
  if (config.requestObject === 'encrypted' && config.requestObjectEncryption.enc !== undefined) {
    meta.request_object_encryption_enc = config.requestObjectEncryption.enc;
  }
  if (config.dpop === 'on') meta.dpop_bound_access_tokens = true;
  return meta;
}

/** The alg an OP should encrypt to the first published "enc" key with (an EC key without alg: the first ECDH-ES variant allowed). */
function encryptionAlg(jwk: JWK | undefined, config: Config): string | undefined {
  if (jwk === undefined) return undefined;
  return jwk.alg ?? config.jose.jweAlgs.find((alg) => alg.startsWith('ECDH-ES'));
}
