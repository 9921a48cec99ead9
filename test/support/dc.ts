/**
 * The Samba DC for test/ad: the one the suite's globalSetup exported (SYNCGAP_SAMBA_* variables), or one started
 * here (and stopped by release()) when the variables are not set.
 */
import { type SambaDc, sambaDcFromEnv, startSambaDc } from "./sambaDc";

export async function acquireDc(): Promise<SambaDc> {
  const shared = sambaDcFromEnv();
  if (shared) return shared;
  const t0 = Date.now();
  const dc = await startSambaDc({ onLog: (l) => process.env.SYNCGAP_TEST_VERBOSE && console.error(l) });
  if (process.env.SYNCGAP_TEST_VERBOSE) console.error(`Samba DC ready in ${Date.now() - t0} ms (reused: ${dc.reused})`);
  return dc;
}
