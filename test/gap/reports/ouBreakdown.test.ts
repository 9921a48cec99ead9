import { describe, expect, it } from "vitest";
import { gapMarkdown } from "../../../gap/reports/markdown";
import { NO_OU, ouBreakdown } from "../../../gap/reports/ouBreakdown";
import type { Category, GapResult, GapRow } from "../../../gap/types";

const r = (ou: string | null, category: Category): GapRow =>
  ({ userPrincipalName: "u", category, adOtherMobile: [], ou }) as unknown as GapRow;

describe("ouBreakdown", () => {
  const rows = [
    r("OU=B", "ValueMismatch"),
    r("OU=B", "CloudOnly"),
    r("OU=A", "MissingInEntra"),
    r("OU=A", "InSync"),
    r("OU=A", "InSync"),
    r("OU=C", "ValueMismatch"),
    r(null, "NotInAD"),
    r("OU=Quiet", "InSync"),
  ];

  it("lists OUs with users out of sync, the most first, ties by name, InSync-only OUs left out", () => {
    const b = ouBreakdown(rows);
    expect(b.ous.map((l) => [l.ou, l.outOfSync])).toEqual([
      ["OU=B", 2],
      [NO_OU, 1],
      ["OU=A", 1],
      ["OU=C", 1],
    ]);
    expect(b.ous[0]?.counts).toMatchObject({ ValueMismatch: 1, CloudOnly: 1, MissingInEntra: 0 });
    expect(b.moreOus).toBe(0);
  });

  it("caps the list and counts the rest", () => {
    expect(ouBreakdown(rows, 2)).toMatchObject({ moreOus: 2, moreUsers: 2 });
  });

  it("is a section of the Markdown summary", () => {
    const result = {
      tool: { name: "syncgap", version: "0" },
      generatedAt: "t",
      defaultRegion: "US",
      includeInSync: true,
      inputs: {
        ad: { description: "a", users: 1, mode: "memory" },
        entra: { description: "e", users: 1, mode: "memory" },
      },
      counts: {
        MissingInEntra: 1,
        ValueMismatch: 2,
        CloudOnly: 1,
        FormatOnly: 0,
        NotInAD: 1,
        NotInEntra: 0,
        CloudManaged: 0,
        InSync: 3,
      },
      totals: { adUsers: 1, entraUsers: 1, matched: 1, outOfSync: 5, rows: 8, matchedBy: {} },
      timings: { adReadMs: 0, entraReadMs: 0, joinMs: 0, totalMs: 0 },
      otherMobileNote: "",
      notes: [],
      rows,
    } as unknown as GapResult;
    const md = gapMarkdown(result, undefined, { ouLimit: 3 });
    expect(md).toContain("## Users out of sync per OU");
    expect(md).toContain("| OU=B | 2 | 0 | 1 | 1 | 0 | 0 | 0 | 0 |");
    expect(md).toContain("1 more OU with 1 user out of sync.");
  });
});
