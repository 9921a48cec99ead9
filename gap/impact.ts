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
import type { GapResult, ImpactFigures, ImpactRow, ImpactSummary } from "./types";

const CHANGE: Partial<Record<GapResult["rows"][number]["category"], ImpactRow["change"]>> = {
  ValueMismatch: "overwrite",
  CloudOnly: "clear",
  FormatOnly: "formatRewrite",
};

/** The figures alone (the summary line, the reports' headers): counted without building the rows. */
export function impactFigures(result: GapResult): ImpactFigures {
  const n: Record<ImpactRow["change"], number> = { overwrite: 0, clear: 0, formatRewrite: 0 };
  for (const r of result.rows) {
    const change = CHANGE[r.category];
    if (change) n[change]++;
  }
  return {
    overwrites: n.overwrite,
    clears: n.clear,
    formatRewrites: n.formatRewrite,
    cloudNumbersLost: n.overwrite + n.clear,
    fills: result.counts.MissingInEntra,
  };
}

/** The figures and the users each change touches (impact mode's reports and list). */
export function impactOf(result: GapResult): ImpactSummary {
  const rows: ImpactRow[] = [];
  for (const r of result.rows) {
    const change = CHANGE[r.category];
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
  return { ...impactFigures(result), rows };
}
