/** Trust anchors: a CA certificate added to the process's default store (the local tenant's, a proxy's). */
import { readFileSync } from "node:fs";
import tls from "node:tls";

const trusted = new Set<string>();

/**
 * Adds a CA certificate (PEM) to the process's default trust store, for both node:https (@azure/identity) and fetch
 * (MSAL Node, the Graph client): every TLS client that passes no `ca` of its own. Verification stays on, only the trust
 * anchor differs. NODE_EXTRA_CA_CERTS does the same for a process that has not started yet (children get it that
 * way), but Node reads it only at start-up. Needs `tls.setDefaultCACertificates` (Node 22.19+); on an older Node the
 * error says what to do instead.
 */
export function trustCaPem(pem: string, what = "the CA certificate"): void {
  const setDefault = (tls as unknown as { setDefaultCACertificates?: (certs: string[]) => void })
    .setDefaultCACertificates;
  if (typeof setDefault !== "function") {
    throw new Error(
      `cannot trust ${what} in this process: Node ${process.version} lacks tls.setDefaultCACertificates (Node 22.19+); ` +
        "use Node 22.19 or later, or start Node with NODE_EXTRA_CA_CERTS=<the PEM file>",
    );
  }
  const current = tls.getCACertificates("default");
  if (current.some((c) => c.trim() === pem.trim())) return;
  setDefault.call(tls, [...current, pem]);
}

/** trustCaPem for a PEM file (the `caCertPath` of a connection), once per file. */
export function trustCaFile(caCertPath: string): void {
  if (trusted.has(caCertPath)) return;
  let pem: string;
  try {
    pem = readFileSync(caCertPath, "utf8");
  } catch (e) {
    throw new Error(`cannot read the CA certificate ${caCertPath}: ${(e as Error).message}`);
  }
  trustCaPem(pem, caCertPath);
  trusted.add(caCertPath);
}
