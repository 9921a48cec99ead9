/**
 * Users out of sync per OU, for the Markdown and HTML reports: which containers hold the gaps, so the people who run
 * them can be asked. Only OUs with out-of-sync users are listed, the most first, up to a limit; the rest are counted.
 * A user's OU is its container (GapRow.ou: the DN without its first RDN); users with no DN on either side are grouped
 * as "(no OU)".
 */
import { CATEGORIES, type Category, type GapRow } from "../types";

export const NO_OU = "(no OU)";

/** The categories a breakdown counts: every one but InSync (InSync users are listed only with includeInSync). */
export const OU_CATEGORIES = CATEGORIES.filter((c) => c !== "InSync") as Exclude<Category, "InSync">[];

export interface OuLine {
  ou: string;
  outOfSync: number;
  counts: Record<Exclude<Category, "InSync">, number>;
}

export interface OuBreakdown {
  ous: OuLine[];
  /** OUs with out-of-sync users beyond the limit. */
  moreOus: number;
  /** Out-of-sync users in those OUs. */
  moreUsers: number;
}

/** The default number of OUs listed. */
export const OU_LIMIT = 25;

export function ouBreakdown(rows: readonly GapRow[], limit = OU_LIMIT): OuBreakdown {
  const byOu = new Map<string, OuLine>();
  for (const r of rows) {
    if (r.category === "InSync") continue;
    const ou = r.ou ?? NO_OU;
    let line = byOu.get(ou);
    if (!line) {
      line = { ou, outOfSync: 0, counts: Object.fromEntries(OU_CATEGORIES.map((c) => [c, 0])) as OuLine["counts"] };
      byOu.set(ou, line);
    }
    line.outOfSync++;
    line.counts[r.category]++;
  }
  const all = [...byOu.values()].sort((a, b) => b.outOfSync - a.outOfSync || (a.ou < b.ou ? -1 : a.ou > b.ou ? 1 : 0));
  const shown = all.slice(0, Math.max(0, limit));
  const rest = all.slice(shown.length);
  return { ous: shown, moreOus: rest.length, moreUsers: rest.reduce((n, l) => n + l.outOfSync, 0) };
}
