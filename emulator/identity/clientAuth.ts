/**
 * Confidential-client authentication at the token endpoint: a client secret (in the body or HTTP Basic) or a
 * certificate-signed client assertion (https://learn.microsoft.com/entra/identity-platform/certificate-credentials),
 * with Entra's AADSTS errors for an expired or wrong secret, an unknown key, a bad signature or audience.
 */
import type { FastifyRequest } from "fastify";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { AadstsError } from "../errors";
import type { AppRegistration, Tenant } from "../tenant";
import { isGeneric, type Params, safeEqual } from "./authority";

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The accepted audiences of a client assertion: the token endpoint under any name of this tenant and host. */
function assertionAudienceOk(aud: unknown, tenant: Tenant, origins: string[]): boolean {
  const auds = Array.isArray(aud) ? aud : [aud];
  return auds.some((a) => {
    if (typeof a !== "string") return false;
    let u: URL;
    try {
      u = new URL(a);
    } catch {
      return false;
    }
    if (!origins.includes(u.origin)) return false;
    const m = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token\/?$/.exec(u.pathname);
    return m !== null && (tenant.matches(m[1]) || isGeneric(m[1]));
  });
}

/**
 * Authenticates a confidential client by secret (post or basic) or certificate assertion. Returns how, or undefined
 * when the request carries no client credential.
 */
export async function authenticateClient(
  tenant: Tenant,
  app: AppRegistration,
  p: Params,
  basic: { id: string; secret: string } | undefined,
  origins: string[],
): Promise<"secret" | "certificate" | undefined> {
  const secret = p.client_secret ?? basic?.secret;
  if (secret !== undefined) {
    const now = Date.now();
    const live = app.secrets.filter((s) => !s.endDateTime || Date.parse(s.endDateTime) > now);
    if (live.some((s) => safeEqual(s.value, secret))) return "secret";
    if (app.secrets.some((s) => safeEqual(s.value, secret))) {
      throw new AadstsError(
        401,
        "invalid_client",
        7000222,
        `The provided client secret keys for app '${app.appId}' are expired.`,
      );
    }
    throw new AadstsError(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`,
    );
  }
  const assertion = p.client_assertion;
  if (assertion !== undefined) {
    if (p.client_assertion_type !== JWT_BEARER) {
      throw new AadstsError(
        400,
        "invalid_request",
        50027,
        `Invalid client_assertion_type '${p.client_assertion_type ?? ""}'; expected '${JWT_BEARER}'.`,
      );
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      throw new AadstsError(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
    }
    const x5t = header.x5t as string | undefined;
    const x5tS256 = (header as Record<string, unknown>)["x5t#S256"] as string | undefined;
    const hexOf = (b64u: string) => Buffer.from(b64u, "base64url").toString("hex").toUpperCase();
    const cert = app.certificates.find(
      (c) =>
        (x5t !== undefined && hexOf(x5t) === c.thumbprintSha1) ||
        (x5tS256 !== undefined && hexOf(x5tS256) === c.thumbprintSha256),
    );
    if (!cert) {
      const kid = x5tS256 ?? x5t ?? "(none)";
      throw new AadstsError(
        401,
        "invalid_client",
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${kid}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'.]`,
      );
    }
    try {
      const { payload } = await jwtVerify(assertion, cert.publicKey, {
        algorithms: ["RS256", "PS256"],
        clockTolerance: 300,
      });
      if (payload.iss !== app.appId || payload.sub !== app.appId) {
        throw new AadstsError(
          401,
          "invalid_client",
          700021,
          "Client assertion application identifier doesn't match 'client_id' parameter.",
        );
      }
      if (!assertionAudienceOk(payload.aud, tenant, origins)) {
        throw new AadstsError(
          401,
          "invalid_client",
          700212,
          `No matching federated identity record found for presented assertion audience '${String(payload.aud)}'.`,
        );
      }
      if (typeof payload.exp !== "number")
        throw new AadstsError(401, "invalid_client", 50027, "JWT token is invalid or malformed: missing exp.");
    } catch (e) {
      if (e instanceof AadstsError) throw e;
      if (e instanceof joseErrors.JWTExpired || e instanceof joseErrors.JWTClaimValidationFailed) {
        throw new AadstsError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
      }
      throw new AadstsError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
    }
    if (cert.endDateTime && Date.parse(cert.endDateTime) < Date.now()) {
      throw new AadstsError(401, "invalid_client", 700027, "Client assertion contains an expired certificate.");
    }
    return "certificate";
  }
  return undefined;
}

/** The client id and secret of an `Authorization: Basic` header (client_secret_basic). */
export function basicAuth(req: FastifyRequest): { id: string; secret: string } | undefined {
  const h = req.headers.authorization;
  if (!h || !/^Basic\s/i.test(h)) return undefined;
  const raw = Buffer.from(h.slice(6).trim(), "base64").toString("utf8");
  const i = raw.indexOf(":");
  if (i < 0) return undefined;
  return { id: decodeURIComponent(raw.slice(0, i)), secret: decodeURIComponent(raw.slice(i + 1)) };
}
