/**
 * TLS material for the local tenant: a private CA, the HTTPS server certificate it issues (SAN covers `localhost`,
 * `127.0.0.1` and `::1`), and client certificates for app registrations (ClientCertificateCredential).
 *
 * Keys are made with WebCrypto and certificates with @peculiar/x509. The CA and server keys are ECDSA P-256 (fast to
 * make; every TLS client in Node accepts them); client certificates are RSA 2048 because MSAL signs client assertions
 * with RS256/PS256.
 */
import {
  createHash,
  createPrivateKey,
  X509Certificate as NodeX509Certificate,
  randomBytes,
  webcrypto,
} from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type JsonWebKey = webcrypto.JsonWebKey;

import "reflect-metadata";
import * as x509 from "@peculiar/x509";

// Node's WebCrypto is the provider (typed loosely: its types differ between lib.dom and @types/node).
x509.cryptoProvider.set(webcrypto as never);
const subtle = webcrypto.subtle;

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface ServerTlsMaterial {
  certPem: string;
  keyPem: string;
  caPem: string;
}

export interface ClientCertificate {
  /** PEM of the certificate alone (what an app registration stores). */
  certPem: string;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  /** Key + certificate in one PEM, the form ClientCertificateCredential's `certificatePath` expects. */
  combinedPem: string;
  /** Hex SHA-1 thumbprint (upper case), as Entra shows `customKeyIdentifier`. */
  thumbprintSha1: string;
  /** Hex SHA-256 thumbprint (upper case). */
  thumbprintSha256: string;
}

const EC_ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const RSA_ALG = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive
  return b.toString("hex");
}

async function exportPkcs8(key: CryptoKey): Promise<string> {
  return pem("PRIVATE KEY", await subtle.exportKey("pkcs8", key));
}

/** Imports a PEM private key (PKCS#8, PKCS#1 or SEC1) as a WebCrypto signing key for issuing certificates. */
async function importSigningKey(keyPem: string): Promise<{ key: CryptoKey; alg: typeof EC_ALG | typeof RSA_ALG }> {
  const k = createPrivateKey(keyPem);
  const jwk = k.export({ format: "jwk" }) as JsonWebKey;
  if (k.asymmetricKeyType === "ec") {
    const key = await subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: jwk.crv ?? "P-256" }, true, ["sign"]);
    return { key, alg: EC_ALG };
  }
  if (k.asymmetricKeyType === "rsa") {
    const key = await subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
    return { key, alg: RSA_ALG };
  }
  throw new Error(`unsupported CA key type ${k.asymmetricKeyType}`);
}

/** Makes a new private CA (valid 10 years) for the emulator's HTTPS server certificates. */
export async function createCa(commonName = "syncgap local tenant CA"): Promise<CaMaterial> {
  const keys = (await subtle.generateKey(EC_ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}, O=syncgap emulator (local only)`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * 365 * 24 * 3600_000),
    signingAlgorithm: EC_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await exportPkcs8(keys.privateKey) };
}

/** Issues an HTTPS server certificate from `ca` for the given DNS names and IP addresses (valid 1 year). */
export async function issueServerCertificate(
  ca: CaMaterial,
  dnsNames: string[] = ["localhost"],
  ipAddresses: string[] = ["127.0.0.1", "::1"],
): Promise<ServerTlsMaterial> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const { key: caKey, alg } = await importSigningKey(ca.keyPem);
  const keys = (await subtle.generateKey(EC_ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${dnsNames[0] ?? ipAddresses[0] ?? "localhost"}`,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await exportPkcs8(keys.privateKey), caPem: ca.certPem };
}

/** Thumbprints of a PEM certificate, upper-case hex, as Entra ID shows them. */
export function certificateThumbprints(certPem: string): { sha1: string; sha256: string } {
  const der = new NodeX509Certificate(certPem).raw;
  return {
    sha1: createHash("sha1").update(der).digest("hex").toUpperCase(),
    sha256: createHash("sha256").update(der).digest("hex").toUpperCase(),
  };
}

/**
 * Makes a self-signed RSA client certificate for an app registration, as `New-SelfSignedCertificate` or
 * `az ad app credential reset --create-cert` would.
 */
export async function generateClientCertificate(
  commonName = "syncgap-app",
  validDays = 365,
): Promise<ClientCertificate> {
  const keys = (await subtle.generateKey(RSA_ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * 24 * 3600_000),
    signingAlgorithm: RSA_ALG,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const certPem = cert.toString("pem") + "\n";
  const keyPem = await exportPkcs8(keys.privateKey);
  const t = certificateThumbprints(certPem);
  return { certPem, keyPem, combinedPem: keyPem + certPem, thumbprintSha1: t.sha1, thumbprintSha256: t.sha256 };
}
