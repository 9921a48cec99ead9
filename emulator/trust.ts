/**
 * Trusting the emulator's CA inside a process that is already running (tests, the demo driver).
 *
 * Node reads NODE_EXTRA_CA_CERTS only at start-up, so a process that starts the emulator itself cannot use it for
 * its own clients. Node 22.19+ has `tls.setDefaultCACertificates()`, which replaces the default CA list used by every
 * TLS client that does not pass its own `ca` — `https.request` (@azure/identity's pipeline) and `fetch`
 * (MSAL Node, the Graph client) alike. This adds the emulator's CA to the bundled and system roots.
 *
 * Product code does not need this: it trusts the CA through NODE_EXTRA_CA_CERTS (set before Node starts) or a
 * `caCertPath` option of its client factory.
 */
import tls from "node:tls";

/** Adds `caPem` to the process-wide default CA list (idempotent). */
export function trustEmulatorCa(caPem: string): void {
  const setDefault = (tls as unknown as { setDefaultCACertificates?: (certs: string[]) => void })
    .setDefaultCACertificates;
  if (typeof setDefault !== "function") {
    throw new Error(
      `tls.setDefaultCACertificates is missing in Node ${process.version} (needs 22.19+); start Node with NODE_EXTRA_CA_CERTS=<caCertPath> instead`,
    );
  }
  const current = tls.getCACertificates("default");
  const pem = caPem.trim();
  if (current.some((c) => c.trim() === pem)) return;
  setDefault([...current, caPem]);
}
