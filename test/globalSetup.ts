import { exportSambaDcEnv, type SambaDc, sambaDcFromEnv, startSambaDc } from "./support/sambaDc";

/**
 * Starts the real Samba AD domain controller once for the whole suite (scripts/samba-dc.sh: installs the Debian
 * packages when missing, provisions or reuses a cached template, starts on 127.0.0.1 with LDAPS and its own CA)
 * and hands it to every test file through SYNCGAP_SAMBA_* variables (forked workers inherit them).
 * A DC that is already described by the environment (SYNCGAP_SAMBA_URL, …) is used as it is. SYNCGAP_SAMBA_ADDR (and
 * SYNCGAP_SAMBA_DIR) put the suite's own DC on another loopback address, so two runs on one machine keep apart.
 */
export default async function setup(): Promise<() => Promise<void>> {
  if (sambaDcFromEnv()) return async () => {};
  const t0 = Date.now();
  let dc: SambaDc;
  try {
    const address = process.env.SYNCGAP_SAMBA_ADDR || undefined;
    dc = await startSambaDc({
      address,
      dir: process.env.SYNCGAP_SAMBA_DIR || undefined,
      onLog: (line) => process.stderr.write(`[samba-dc] ${line}\n`),
    });
  } catch (e) {
    throw new Error(
      `the test suite needs a Samba AD DC and could not start one: ${(e as Error).message}\n` +
        "scripts/samba-dc.sh installs Debian's samba packages (root needed for apt-get) and starts the DC on 127.0.0.1.",
    );
  }
  exportSambaDcEnv(dc);
  process.stderr.write(
    `[globalSetup] Samba DC ${dc.url} ready in ${Date.now() - t0} ms${dc.reused ? " (reused)" : ""}\n`,
  );
  return async () => {
    await dc.stop();
  };
}
