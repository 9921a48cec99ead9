/**
 * The TLS material of the local tenant's listener: a ready server certificate when one is given, else one issued for
 * localhost/127.0.0.1/::1 by the given CA, by the CA kept in the state folder, or by a new CA (whose key is then kept
 * there).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CaMaterial, createCa, issueServerCertificate, type ServerTlsMaterial } from "../certs";
import type { StartEmulatorOptions } from "./startEmulator";

export async function loadTls(opts: StartEmulatorOptions, dir: string): Promise<ServerTlsMaterial> {
  if (opts.tls && "certPem" in opts.tls)
    return { certPem: opts.tls.certPem, keyPem: opts.tls.keyPem, caPem: opts.tls.caPem };
  let ca: CaMaterial;
  if (opts.tls) {
    ca = { certPem: opts.tls.caCertPem, keyPem: opts.tls.caKeyPem };
  } else if (opts.stateDir && existsSync(join(dir, "ca.pem")) && existsSync(join(dir, "ca-key.pem"))) {
    ca = { certPem: readFileSync(join(dir, "ca.pem"), "utf8"), keyPem: readFileSync(join(dir, "ca-key.pem"), "utf8") };
  } else {
    ca = await createCa();
    if (opts.stateDir) {
      writeFileSync(join(dir, "ca-key.pem"), ca.keyPem, { mode: 0o600 });
    }
  }
  return issueServerCertificate(ca, ["localhost"], ["127.0.0.1", "::1"]);
}
