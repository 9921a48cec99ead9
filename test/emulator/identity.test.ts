/**
 * The identity platform side, driven by the real @azure/identity credentials (MSAL Node inside): discovery, client
 * secret, client certificate, username/password and device code grants, token claims, and AADSTS errors.
 */
import { createHash, X509Certificate } from "node:crypto";
import { DeviceCodeCredential } from "@azure/identity";
import { ConfidentialClientApplication, PublicClientApplication } from "@azure/msal-node";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importX509, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateClientCertificate, type RunningEmulator } from "../../emulator";
import {
  ADMIN_PASSWORD,
  ADMIN_UPN,
  APP_ID,
  APP_SECRET,
  baseSeed,
  CERT_APP_ID,
  certificateCredential,
  credentialOptions,
  GRAPH_SCOPE,
  passwordCredential,
  READER_UPN,
  raw,
  secretCredential,
  startTestEmulator,
  TENANT_ID,
} from "../support/emulatorTenant";

const MULTI_APP_ID = "eeeeeeee-bbbb-4ccc-8ddd-eeeeeeeeeeee";

let emu: RunningEmulator;
let cert: Awaited<ReturnType<typeof generateClientCertificate>>;
let otherCert: Awaited<ReturnType<typeof generateClientCertificate>>;

beforeAll(async () => {
  cert = await generateClientCertificate("syncgap-cert-app");
  otherCert = await generateClientCertificate("not-registered");
  const seed = baseSeed();
  seed.applications?.push({
    displayName: "cert app",
    appId: CERT_APP_ID,
    certificates: [{ pem: cert.certPem }],
    appRoles: ["User.Read.All"],
  });
  seed.applications?.push({
    displayName: "multi-tenant app",
    appId: MULTI_APP_ID,
    clientSecrets: [{ value: APP_SECRET }],
    appRoles: ["User.Read.All"],
    signInAudience: "AzureADMultipleOrgs",
  });
  emu = await startTestEmulator({ seed });
});
afterAll(async () => {
  await emu?.stop();
});

describe("discovery", () => {
  it("serves the OpenID configuration and keys MSAL needs, for the tenant id and its domains", async () => {
    for (const t of [TENANT_ID, "corp.example.test", "testtenant.onmicrosoft.com"]) {
      const r = await raw(emu, "GET", `/${t}/v2.0/.well-known/openid-configuration`);
      expect(r.status).toBe(200);
      const doc = r.body as Record<string, string>;
      expect(doc.issuer).toBe(`${emu.baseUrl}/${TENANT_ID}/v2.0`);
      expect(doc.token_endpoint).toBe(`${emu.baseUrl}/${TENANT_ID}/oauth2/v2.0/token`);
      expect(doc.device_authorization_endpoint).toBe(`${emu.baseUrl}/${TENANT_ID}/oauth2/v2.0/devicecode`);
      expect(doc.authorization_endpoint).toContain("/oauth2/v2.0/authorize");
      expect(doc.jwks_uri).toBe(`${emu.baseUrl}/${TENANT_ID}/discovery/v2.0/keys`);
    }
    const keys = (await raw(emu, "GET", `/${TENANT_ID}/discovery/v2.0/keys`)).body as {
      keys: { kty: string; kid: string; n: string }[];
    };
    expect(keys.keys[0].kty).toBe("RSA");
    expect(keys.keys[0]).not.toHaveProperty("d");
  });

  it("answers on localhost too (the certificate covers it) and builds URLs from the host asked", async () => {
    const r = await fetch(`https://localhost:${emu.port}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { issuer: string }).issuer).toBe(`https://localhost:${emu.port}/${TENANT_ID}/v2.0`);
  });

  it("unknown tenant → AADSTS90002", async () => {
    const r = await raw(emu, "GET", "/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration");
    expect(r.status).toBe(400);
    expect((r.body as { error_codes: number[] }).error_codes).toEqual([90002]);
  });
});

describe("client credentials", () => {
  it("ClientSecretCredential gets an app-only Graph token with roles", async () => {
    const t = await secretCredential(emu).getToken(GRAPH_SCOPE);
    expect(t.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const h = decodeProtectedHeader(t.token);
    expect(h.alg).toBe("RS256");
    const c = decodeJwt(t.token) as Record<string, unknown>;
    expect(c.aud).toBe("https://graph.microsoft.com");
    expect(c.iss).toBe(`https://sts.windows.net/${TENANT_ID}/`);
    expect(c.tid).toBe(TENANT_ID);
    expect(c.appid).toBe(APP_ID);
    expect(c.idtyp).toBe("app");
    expect(c.roles).toEqual(["User.Read.All", "User.ReadWrite.All", "OnPremDirectorySynchronization.ReadWrite.All"]);
    expect(c).not.toHaveProperty("scp");
    expect(typeof c.oid).toBe("string");
    expect((c.exp as number) - (c.iat as number)).toBe(3600);
    expect(c.nbf).toBe(c.iat);
  });

  it("ClientCertificateCredential signs an assertion the emulator verifies against the registered certificate", async () => {
    const t = await certificateCredential(emu, CERT_APP_ID, cert.combinedPem).getToken(GRAPH_SCOPE);
    const c = decodeJwt(t.token) as Record<string, unknown>;
    expect(c.appid).toBe(CERT_APP_ID);
    expect(c.appidacr).toBe("2");
    expect(c.roles).toEqual(["User.Read.All"]);
  });

  it("a certificate the app does not have → AADSTS700027 surfaced by the credential", async () => {
    await expect(certificateCredential(emu, CERT_APP_ID, otherCert.combinedPem).getToken(GRAPH_SCOPE)).rejects.toThrow(
      /AADSTS700027/,
    );
  });

  it("a wrong secret → invalid_client AADSTS7000215 surfaced by the credential", async () => {
    await expect(secretCredential(emu, APP_ID, "wrong").getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS7000215/);
  });

  it("token endpoint errors have Entra's JSON shape", async () => {
    const form = (p: Record<string, string>) => ({
      body: new URLSearchParams(p).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "client-request-id": "corr-1" },
    });
    const bad = await raw(
      emu,
      "POST",
      `/${TENANT_ID}/oauth2/v2.0/token`,
      form({ grant_type: "client_credentials", client_id: APP_ID, client_secret: "nope", scope: GRAPH_SCOPE }),
    );
    expect(bad.status).toBe(401);
    const b = bad.body as Record<string, unknown>;
    expect(b.error).toBe("invalid_client");
    expect(String(b.error_description)).toMatch(/^AADSTS7000215: /);
    expect(b.error_codes).toEqual([7000215]);
    expect(b.correlation_id).toBe("corr-1");
    expect(typeof b.trace_id).toBe("string");
    expect(String(b.timestamp)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);

    const unknown = await raw(
      emu,
      "POST",
      `/${TENANT_ID}/oauth2/v2.0/token`,
      form({
        grant_type: "client_credentials",
        client_id: "99999999-9999-4999-8999-999999999999",
        client_secret: "x",
        scope: GRAPH_SCOPE,
      }),
    );
    expect(unknown.status).toBe(400);
    expect((unknown.body as Record<string, unknown>).error).toBe("unauthorized_client");
    expect((unknown.body as Record<string, unknown>).error_codes).toEqual([700016]);

    const noCred = await raw(
      emu,
      "POST",
      `/${TENANT_ID}/oauth2/v2.0/token`,
      form({ grant_type: "client_credentials", client_id: APP_ID, scope: GRAPH_SCOPE }),
    );
    expect((noCred.body as Record<string, unknown>).error_codes).toEqual([7000218]);

    const badScope = await raw(
      emu,
      "POST",
      `/${TENANT_ID}/oauth2/v2.0/token`,
      form({
        grant_type: "client_credentials",
        client_id: APP_ID,
        client_secret: "test-secret-value",
        scope: "User.Read",
      }),
    );
    expect((badScope.body as Record<string, unknown>).error).toBe("invalid_scope");

    const noGrant = await raw(emu, "POST", `/${TENANT_ID}/oauth2/v2.0/token`, form({ client_id: APP_ID }));
    expect((noGrant.body as Record<string, unknown>).error_codes).toEqual([900144]);
  });
});

describe("delegated", () => {
  it("UsernamePasswordCredential (ROPC) gets a delegated token with scp and wids", async () => {
    const t = await passwordCredential(emu).getToken(GRAPH_SCOPE);
    const c = decodeJwt(t.token) as Record<string, unknown>;
    expect(c.idtyp).toBe("user");
    expect(c.upn).toBe(ADMIN_UPN);
    expect(String(c.scp).split(" ")).toContain("OnPremDirectorySynchronization.ReadWrite.All");
    expect(c.wids).toContain("62e90394-69f5-4237-9190-012177145e10");
    expect(c).not.toHaveProperty("roles");
  });

  it("a wrong password → AADSTS50126", async () => {
    await expect(passwordCredential(emu, ADMIN_UPN, "wrong").getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS50126/);
  });

  it("DeviceCodeCredential: the prompt callback approves the code through the admin API", async () => {
    const cred = new DeviceCodeCredential({
      tenantId: emu.tenantId,
      clientId: APP_ID,
      ...credentialOptions(emu),
      userPromptCallback: (info) => {
        expect(info.message).toContain(info.userCode);
        void emu.admin.approveDeviceCode(info.userCode, READER_UPN);
      },
    });
    const t = await cred.getToken(GRAPH_SCOPE);
    const c = decodeJwt(t.token) as Record<string, unknown>;
    expect(c.upn).toBe(READER_UPN);
    expect(c.wids).not.toContain("62e90394-69f5-4237-9190-012177145e10");
  });

  it("DeviceCodeCredential with seeded auto-approval", async () => {
    await emu.admin.setOptions({ autoApproveDeviceCodesAs: ADMIN_UPN });
    try {
      const cred = new DeviceCodeCredential({
        tenantId: emu.tenantId,
        clientId: APP_ID,
        ...credentialOptions(emu),
        userPromptCallback: () => {},
      });
      const c = decodeJwt((await cred.getToken(GRAPH_SCOPE)).token) as Record<string, unknown>;
      expect(c.upn).toBe(ADMIN_UPN);
    } finally {
      await emu.admin.setOptions({ autoApproveDeviceCodesAs: null });
    }
  });

  it("a short token lifetime makes the credential refresh (refresh_token grant) instead of failing", async () => {
    await emu.admin.setOptions({ tokenLifetimeSeconds: 1 });
    try {
      const cred = passwordCredential(emu);
      const t1 = await cred.getToken(GRAPH_SCOPE);
      await new Promise((r) => setTimeout(r, 1100));
      const t2 = await cred.getToken(GRAPH_SCOPE);
      expect(t2.token).not.toBe(t1.token);
      const grants = (await emu.admin.requests({ area: "identity" })).filter((e) => e.path.endsWith("/token"));
      expect(grants.length).toBeGreaterThanOrEqual(2);
    } finally {
      await emu.admin.setOptions({ tokenLifetimeSeconds: 3600 });
    }
  });
});

const form = (p: Record<string, string>) => ({
  body: new URLSearchParams(p).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});
/** What MSAL's knownAuthorities holds: the authority's host and port. */
const knownAuthorities = () => [`127.0.0.1:${emu.port}`];

describe("what other Microsoft libraries send", () => {
  it("client credentials with openid offline_access profile added (MSAL Python/.NET/Java): accepted and ignored", async () => {
    const r = await raw(
      emu,
      "POST",
      `/${TENANT_ID}/oauth2/v2.0/token`,
      form({
        grant_type: "client_credentials",
        client_id: APP_ID,
        client_secret: APP_SECRET,
        scope: `${GRAPH_SCOPE} openid offline_access profile`,
      }),
    );
    expect(r.status).toBe(200);
    const b = r.body as Record<string, unknown>;
    expect(b).not.toHaveProperty("id_token");
    expect(b).not.toHaveProperty("refresh_token");
    expect((decodeJwt(String(b.access_token)) as { roles: string[] }).roles).toContain("User.Read.All");
    // Only OIDC scopes without a resource's /.default are still refused, as Entra does.
    const bad = await raw(
      emu,
      "POST",
      `/${TENANT_ID}/oauth2/v2.0/token`,
      form({ grant_type: "client_credentials", client_id: APP_ID, client_secret: APP_SECRET, scope: "openid profile" }),
    );
    expect((bad.body as { error_codes: number[] }).error_codes).toEqual([1002012]);
  });

  it("@azure/msal-node ConfidentialClientApplication with the OIDC scopes gets an app-only Graph token", async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: APP_ID,
        clientSecret: APP_SECRET,
        authority: `${emu.baseUrl}/${TENANT_ID}`,
        knownAuthorities: knownAuthorities(),
      },
    });
    const r = await cca.acquireTokenByClientCredential({
      scopes: [GRAPH_SCOPE, "openid", "offline_access", "profile"],
    });
    expect(r?.tokenType).toBe("Bearer");
    const c = decodeJwt(String(r?.accessToken)) as Record<string, unknown>;
    expect(c.idtyp).toBe("app");
    expect(c.tid).toBe(TENANT_ID);
    expect(c.roles).toContain("OnPremDirectorySynchronization.ReadWrite.All");
  });

  it("/common and /organizations discovery: endpoints under that name, issuer with {tenantid}, as Entra serves", async () => {
    for (const a of ["common", "organizations"]) {
      const doc = (await raw(emu, "GET", `/${a}/v2.0/.well-known/openid-configuration`)).body as Record<string, string>;
      expect(doc.issuer).toBe(`${emu.baseUrl}/{tenantid}/v2.0`);
      expect(doc.token_endpoint).toBe(`${emu.baseUrl}/${a}/oauth2/v2.0/token`);
      expect(doc.jwks_uri).toBe(`${emu.baseUrl}/${a}/discovery/v2.0/keys`);
      expect(doc.device_authorization_endpoint).toBe(`${emu.baseUrl}/${a}/oauth2/v2.0/devicecode`);
      expect(doc.userinfo_endpoint).toBe(`${emu.baseUrl}/oidc/userinfo`);
      const keys = (await raw(emu, "GET", `/${a}/discovery/v2.0/keys`)).body as { keys: { issuer: string }[] };
      expect(keys.keys[0].issuer).toBe(`${emu.baseUrl}/{tenantid}/v2.0`);
    }
    expect((await raw(emu, "GET", "/consumers/v2.0/.well-known/openid-configuration")).status).toBe(400);
  });

  it("@azure/msal-node PublicClientApplication on /organizations: username/password gives a token for the real tenant", async () => {
    const pca = new PublicClientApplication({
      auth: { clientId: MULTI_APP_ID, authority: `${emu.baseUrl}/organizations`, knownAuthorities: knownAuthorities() },
    });
    const r = await pca.acquireTokenByUsernamePassword({
      scopes: [GRAPH_SCOPE],
      username: ADMIN_UPN,
      password: ADMIN_PASSWORD,
    });
    expect(r?.tenantId).toBe(TENANT_ID);
    expect(r?.account?.username).toBe(ADMIN_UPN);
    const c = decodeJwt(String(r?.accessToken)) as Record<string, unknown>;
    expect(c.tid).toBe(TENANT_ID);
    expect(c.iss).toBe(`https://sts.windows.net/${TENANT_ID}/`);
    expect(c.upn).toBe(ADMIN_UPN);
    expect((decodeJwt(String(r?.idToken)) as { iss: string }).iss).toBe(`${emu.baseUrl}/${TENANT_ID}/v2.0`);
  });

  it("a single-tenant app through /common or /organizations → AADSTS50194, as Entra answers", async () => {
    const pca = new PublicClientApplication({
      auth: { clientId: APP_ID, authority: `${emu.baseUrl}/common`, knownAuthorities: knownAuthorities() },
    });
    await expect(
      pca.acquireTokenByUsernamePassword({ scopes: [GRAPH_SCOPE], username: ADMIN_UPN, password: ADMIN_PASSWORD }),
    ).rejects.toThrow(/AADSTS50194/);
    const r = await raw(
      emu,
      "POST",
      "/organizations/oauth2/v2.0/token",
      form({ grant_type: "client_credentials", client_id: APP_ID, client_secret: APP_SECRET, scope: GRAPH_SCOPE }),
    );
    expect(r.status).toBe(400);
    expect((r.body as { error_codes: number[] }).error_codes).toEqual([50194]);
  });

  it("user realm discovery (called before a password grant): Managed for the tenant's domains, Unknown otherwise", async () => {
    for (const path of [
      `/common/UserRealm/${ADMIN_UPN}?api-version=1.0`,
      `/common/userrealm/${encodeURIComponent(ADMIN_UPN)}?api-version=1.0`,
      "/common/userrealm/someone@testtenant.onmicrosoft.com?api-version=1.0",
    ]) {
      const r = await raw(emu, "GET", path);
      expect(r.status).toBe(200);
      const domain = path.includes("testtenant") ? "testtenant.onmicrosoft.com" : "corp.example.test";
      expect(r.body).toEqual({
        ver: "1.0",
        account_type: "Managed",
        domain_name: domain,
        cloud_instance_name: "microsoftonline.com",
        cloud_audience_urn: "urn:federation:MicrosoftOnline",
      });
    }
    const other = await raw(emu, "GET", "/common/userrealm/someone@elsewhere.example?api-version=1.0");
    expect(other.body).toEqual({ ver: "1.0", account_type: "Unknown", cloud_instance_name: "microsoftonline.com" });
    const logged = await emu.admin.requests({ area: "identity", pathPrefix: "/common/" });
    expect(logged.length).toBeGreaterThanOrEqual(4);
  });

  it("the advertised userinfo endpoint answers a delegated token with the id_token's sub; app tokens → 401", async () => {
    const doc = (await raw(emu, "GET", `/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).body as {
      userinfo_endpoint: string;
    };
    const r = await raw(
      emu,
      "POST",
      `/${TENANT_ID}/oauth2/v2.0/token`,
      form({
        grant_type: "password",
        client_id: APP_ID,
        username: ADMIN_UPN,
        password: ADMIN_PASSWORD,
        scope: `${GRAPH_SCOPE} openid profile`,
      }),
    );
    const tokens = r.body as { access_token: string; id_token: string };
    const info = await fetch(doc.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(info.status).toBe(200);
    const body = (await info.json()) as Record<string, unknown>;
    expect(body.sub).toBe((decodeJwt(tokens.id_token) as { sub: string }).sub);
    expect(body.name).toBe("Admin");
    const app = await secretCredential(emu).getToken(GRAPH_SCOPE);
    const refused = await raw(emu, "GET", "/oidc/userinfo", { token: app.token });
    expect(refused.status).toBe(401);
    expect((await raw(emu, "GET", "/oidc/userinfo")).status).toBe(401);
  });

  it("JWKS keys carry x5c (the signing certificate), x5t (its SHA-1 thumbprint, = kid) and issuer; tokens verify with x5c", async () => {
    const keys = (await raw(emu, "GET", `/${TENANT_ID}/discovery/v2.0/keys`)).body as {
      keys: { kty: string; kid: string; x5t: string; x5c: string[]; n: string; e: string; issuer: string }[];
    };
    const k = keys.keys[0];
    expect(k.issuer).toBe(`${emu.baseUrl}/${TENANT_ID}/v2.0`);
    const der = Buffer.from(k.x5c[0], "base64");
    expect(k.x5t).toBe(createHash("sha1").update(der).digest("base64url"));
    expect(k.kid).toBe(k.x5t);
    const cert = new X509Certificate(der);
    // self-signed, as Entra's signing certificates are
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    const jwk = cert.publicKey.export({ format: "jwk" }) as { n: string; e: string };
    expect([jwk.n, jwk.e]).toEqual([k.n, k.e]);
    const t = await secretCredential(emu).getToken(GRAPH_SCOPE);
    expect(decodeProtectedHeader(t.token)).toMatchObject({ kid: k.kid, x5t: k.x5t });
    const pem = `-----BEGIN CERTIFICATE-----\n${k.x5c[0]}\n-----END CERTIFICATE-----`;
    const verified = await jwtVerify(t.token, await importX509(pem, "RS256"), {
      issuer: `https://sts.windows.net/${TENANT_ID}/`,
      audience: "https://graph.microsoft.com",
    });
    expect(verified.payload.appid).toBe(APP_ID);
    // and through the jwks_uri, as a resource server would
    const jwks = createRemoteJWKSet(new URL(`${emu.baseUrl}/${TENANT_ID}/discovery/v2.0/keys`), {
      timeoutDuration: 10_000,
    });
    expect((await jwtVerify(t.token, jwks)).payload.tid).toBe(TENANT_ID);
  });
});
