/**
 * Impact mode: what turning AD authority on (`bypassDirSyncOverridesEnabled: true`) would do to numbers entered in
 * the cloud. With the switch on, sync writes AD's `mobile` over Entra's `mobilePhone` for every synced user
 * (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides):
 *   - ValueMismatch → the cloud number is replaced by AD's (overwrite);
 *   - CloudOnly → the cloud number is cleared, AD has none (clear);
 *   - FormatOnly → the same number, rewritten in AD's spelling (format rewrite; no number is lost);
 *   - MissingInEntra → AD's number appears in Entra (fill; nothing cloud-entered is lost).
 * overwrites + clears are "the cloud-entered numbers the change would overwrite".
 */
import type { GapResult, ImpactRow, ImpactSummary } from "./types";

export function impactOf(result: GapResult): ImpactSummary {
  const rows: ImpactRow[] = [];
  let overwrites = 0;
  let clears = 0;
  let formatRewrites = 0;
  for (const r of result.rows) {
    let change: ImpactRow["change"] | undefined;
    if (r.category === "ValueMismatch") {
      change = "overwrite";
      overwrites++;
    } else if (r.category === "CloudOnly") {
      change = "clear";
      clears++;
    } else if (r.category === "FormatOnly") {
      change = "formatRewrite";
      formatRewrites++;
    }
    if (change) {
      rows.push({
        userPrincipalName: r.userPrincipalName,
        change,
        category: r.category,
        entraMobile: r.entraMobile,
        adMobile: r.adMobile,
        entraId: r.entraId,
      });
    }
  }
  return {
    overwrites,
    clears,
    formatRewrites,
    cloudNumbersLost: overwrites + clears,
    fills: result.counts.MissingInEntra,
    rows,
  };
}
