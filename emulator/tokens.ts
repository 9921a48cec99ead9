/**
 * Access tokens of the local tenant: RS256 JWTs in the v1.0 format Entra ID issues for Microsoft Graph
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference), signed with a key published at
 * the tenant's jwks_uri, and Graph's validation of them (signature, issuer, audience, lifetime → 401
 * InvalidAuthenticationToken).
 */
import { createHash, randomBytes, randomUUID, webcrypto } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { exportJWK, generateKeyPair, importJWK, type JWK, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { APP_WID, MEMBER_USER_WID } from "./directoryRoles";
import { GraphError } from "./errors";
import type { AppRegistration, Tenant } from "./tenant";
import type { UserRecord } from "./users";

export const GRAPH_RESOURCE = "https://graph.microsoft.com";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** Claims the emulator puts in (and Graph reads from) an access token. */
export interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  oid: string;
  sub: string;
  appid: string;
  app_displayname: string;
  appidacr: "0" | "1" | "2";
  idtyp: "app" | "user";
  ver: "1.0";
  uti: string;
  roles?: string[];
  scp?: string;
  wids?: string[];
  upn?: string;
  unique_name?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  amr?: string[];
}

type CryptoKey = webcrypto.CryptoKey;

export interface SigningKey {
  /** Key id: as in Entra, the base64url SHA-1 thumbprint of the signing certificate (= `x5t`). */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as the JWKS lists it: `kty, n, e, kid, use, x5t, x5c` (issuer is added per request). */
  publicJwk: JWK;
  /** The signing certificate (PEM): self-signed, as Entra's token signing certificates are. */
  certPem: string;
}

const SIGNING_ALG = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** A self-signed certificate for the token signing key, valid for five years from now. */
async function selfSignedSigningCertificate(keys: { privateKey: CryptoKey; publicKey: CryptoKey }): Promise<string> {
  x509.cryptoProvider.set(webcrypto as never);
  const notBefore = new Date(Date.now() - 3600_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: "CN=syncgap local tenant token signing",
    notBefore,
    notAfter: new Date(notBefore.getTime() + 5 * 365 * 24 * 3600_000),
    signingAlgorithm: SIGNING_ALG,
    keys: keys as never,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return cert.toString("pem");
}

function certDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ""), "base64");
}

/**
 * Makes the token signing key and its certificate, or loads/saves them when `path` is given (the key as a private JWK
 * file, the certificate beside it as `<path>.cert.pem`).
 */
export async function loadOrCreateSigningKey(path?: string): Promise<SigningKey> {
  let privateJwk: JWK | undefined;
  if (path) {
    try {
      privateJwk = JSON.parse(readFileSync(path, "utf8")) as JWK;
    } catch {
      privateJwk = undefined;
    }
  }
  if (!privateJwk) {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
    privateJwk = await exportJWK(privateKey);
    if (path) writeFileSync(path, JSON.stringify(privateJwk), { mode: 0o600 });
  }
  const { d, p, q, dp, dq, qi, ...pub } = privateJwk;
  const privateKey = (await importJWK({ ...privateJwk, alg: "RS256" }, "RS256")) as CryptoKey;
  const publicKey = (await importJWK({ ...pub, alg: "RS256" }, "RS256")) as CryptoKey;
  const certPath = path ? `${path}.cert.pem` : undefined;
  let certPem: string | undefined;
  if (certPath) {
    try {
      const pem = readFileSync(certPath, "utf8");
      // Only a certificate of this key: a key file replaced by hand gets a new certificate.
      const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", publicKey));
      const certSpki = Buffer.from(new x509.X509Certificate(pem).publicKey.rawData);
      certPem = spki.equals(certSpki) ? pem : undefined;
    } catch {
      certPem = undefined;
    }
  }
  if (!certPem) {
    certPem = await selfSignedSigningCertificate({ privateKey, publicKey });
    if (certPath) writeFileSync(certPath, certPem, { mode: 0o644 });
  }
  const der = certDer(certPem);
  // https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-signature: Entra's keys carry
  // `x5t` (SHA-1 thumbprint, also the `kid`) and `x5c` (the certificate chain, base64 DER).
  const kid = createHash("sha1").update(der).digest("base64url");
  return {
    kid,
    privateKey,
    publicKey,
    certPem,
    publicJwk: { kty: pub.kty, use: "sig", kid, x5t: kid, n: pub.n, e: pub.e, x5c: [der.toString("base64")] },
  };
}

/** The `sub` of a user's id_token for an app (pairwise, as Entra's), which the userinfo endpoint answers too. */
export function idTokenSubject(userId: string, appId: string): string {
  return createHash("sha256").update(`${userId}/${appId}/id`).digest("base64url").slice(0, 43);
}

/** Issuer of Graph access tokens (v1.0 token format, as Entra ID uses for Microsoft Graph). */
export function accessTokenIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export class TokenService {
  constructor(readonly key: SigningKey) {}

  /**
   * The JWKS: Entra's keys endpoints add `issuer` to each key (the tenant's v2.0 issuer, or
   * `https://HOST/{tenantid}/v2.0` under /common and /organizations).
   */
  jwks(issuer: string): { keys: (JWK & { issuer: string })[] } {
    return { keys: [{ ...this.key.publicJwk, issuer }] };
  }

  async sign(claims: object, header: Record<string, string> = {}): Promise<string> {
    return new SignJWT({ ...claims })
      .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: this.key.kid, x5t: this.key.kid, ...header })
      .sign(this.key.privateKey);
  }

  private base(tenant: Tenant, app: AppRegistration, lifetime: number) {
    const now = Math.floor(Date.now() / 1000);
    return {
      aud: GRAPH_RESOURCE,
      iss: accessTokenIssuer(tenant.id),
      iat: now,
      nbf: now,
      exp: now + lifetime,
      app_displayname: app.displayName,
      appid: app.appId,
      idp: accessTokenIssuer(tenant.id),
      tid: tenant.id,
      uti: randomBytes(16).toString("base64url"),
      ver: "1.0" as const,
    };
  }

  /** An app-only token: `roles` = the Graph application permissions granted to the app. */
  async appToken(
    tenant: Tenant,
    app: AppRegistration,
    authMethod: "secret" | "certificate",
  ): Promise<{ token: string; expiresIn: number }> {
    const lifetime = tenant.options.tokenLifetimeSeconds;
    const claims: AccessTokenClaims = {
      ...this.base(tenant, app, lifetime),
      appidacr: authMethod === "secret" ? "1" : "2",
      idtyp: "app",
      oid: app.servicePrincipalId,
      sub: app.servicePrincipalId,
      wids: [APP_WID],
    };
    if (app.appRoles.length) claims.roles = [...app.appRoles];
    return { token: await this.sign(claims), expiresIn: lifetime };
  }

  /** A delegated token: `scp` = the permissions consented for the user (filtered by the app's), `wids` = roles. */
  async userToken(
    tenant: Tenant,
    app: AppRegistration,
    user: UserRecord,
    scopes: string[],
    amr: string[],
    confidential: boolean,
  ): Promise<{ token: string; expiresIn: number }> {
    const lifetime = tenant.options.tokenLifetimeSeconds;
    const u = user.data;
    const claims: AccessTokenClaims = {
      ...this.base(tenant, app, lifetime),
      appidacr: confidential ? "1" : "0",
      idtyp: "user",
      oid: u.id,
      sub: createHash("sha256").update(`${u.id}/${app.appId}`).digest("base64url").slice(0, 43),
      scp: scopes.join(" "),
      wids: [...user.directoryRoles, MEMBER_USER_WID],
      upn: u.userPrincipalName,
      unique_name: u.userPrincipalName,
      name: (u.displayName as string | null) ?? u.userPrincipalName,
      amr,
    };
    if (u.givenName) claims.given_name = u.givenName as string;
    if (u.surname) claims.family_name = u.surname as string;
    return { token: await this.sign(claims), expiresIn: lifetime };
  }

  /** An OpenID Connect id_token for delegated flows (v2.0 format; audience = the client). */
  async idToken(tenant: Tenant, issuer: string, app: AppRegistration, user: UserRecord): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const u = user.data;
    return this.sign({
      aud: app.appId,
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: u.displayName ?? u.userPrincipalName,
      oid: u.id,
      preferred_username: u.userPrincipalName,
      sub: idTokenSubject(u.id, app.appId),
      tid: tenant.id,
      uti: randomUUID(),
      ver: "2.0",
    });
  }

  /**
   * Validates a bearer token as Graph does; throws 401 InvalidAuthenticationToken with Graph's messages.
   */
  async verifyGraphToken(tenant: Tenant, authorization: string | undefined): Promise<AccessTokenClaims> {
    const fail = (message: string) =>
      new GraphError(401, "InvalidAuthenticationToken", message, {
        "www-authenticate": `Bearer realm="", error="invalid_token", client_id="${GRAPH_APP_ID}"`,
      });
    if (!authorization) throw fail("Access token is empty.");
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m) throw fail("Access token is empty.");
    const token = m[1];
    if (token.split(".").length !== 3) throw fail("CompactToken parsing failed with error code: 80049217");
    try {
      const { payload } = await jwtVerify(token, this.key.publicKey, {
        algorithms: ["RS256"],
        issuer: accessTokenIssuer(tenant.id),
        audience: [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID],
        requiredClaims: ["exp", "nbf", "tid", "oid", "appid"],
      });
      return payload as unknown as AccessTokenClaims;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw fail("Lifetime validation failed, the token is expired.");
      if (e instanceof joseErrors.JWTClaimValidationFailed) {
        if (e.claim === "aud") throw fail("Access token validation failure. Invalid audience.");
        if (e.claim === "iss") throw fail("Access token validation failure. Invalid issuer.");
        if (e.claim === "nbf") throw fail("Lifetime validation failed, the token is not yet valid.");
        throw fail(`Access token validation failure. Missing or invalid claim '${e.claim}'.`);
      }
      if (e instanceof joseErrors.JWSSignatureVerificationFailed)
        throw fail("Access token validation failure. Signature validation failed.");
      throw fail("CompactToken parsing failed with error code: 80049217");
    }
  }
}
