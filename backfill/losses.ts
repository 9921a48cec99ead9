/**
 * Which cloud numbers turning AD authority on would still lose, held against a reviewed back-fill plan: what the
 * `mobile-gap-impact` policy's no-loss mode (docs/policies.md#mobile-gap-impact) and the deploy stage judge by.
 *
 * A number the switch would lose (impact `overwrite` or `clear`: AD has another number, or none) is
 *   - `keptByPlan`: the plan writes it into AD (`cloud` / `normalise`) — the deploy stage applies the plan before
 *     `pulumi up`, and once applied the user is no longer lost at all (AD holds the number);
 *   - `acceptedLoss`: decided `ad` — someone chose AD's value, knowing the cloud number goes;
 *   - `review`: in the plan, still to decide;
 *   - `changedSincePlan`: in the plan, but AD or Entra ID holds another value now than the plan saw, so its decision
 *     was about other numbers (make a new plan);
 *   - `notInPlan`: no row for the user (a newer gap, or a plan of another scope).
 * Only the first two are settled. Users are matched by Entra object id (the plan row's `entraId`), else by UPN.
 */
import type { ImpactRow } from "../gap/types";
import type { BackfillPlan, PlanRow } from "./types";

export const LOSS_STANDINGS = ["keptByPlan", "acceptedLoss", "review", "changedSincePlan", "notInPlan"] as const;
export type LossStanding = (typeof LOSS_STANDINGS)[number];

export interface LossReview {
  /** Every number the switch would lose, with its standing. */
  users: { row: ImpactRow; standing: LossStanding }[];
  counts: Record<LossStanding, number>;
  /** review + changedSincePlan + notInPlan: the numbers nobody has decided about. */
  unsettled: number;
}

const sameValue = (a: string | null | undefined, b: string | null | undefined) => (a ?? null) === (b ?? null);

function standingOf(row: ImpactRow, planRow: PlanRow | undefined): LossStanding {
  if (!planRow) return "notInPlan";
  if (!sameValue(planRow.entraMobile, row.entraMobile) || !sameValue(planRow.adMobile, row.adMobile)) {
    return "changedSincePlan";
  }
  switch (planRow.decision) {
    case "cloud":
    case "normalise":
      return "keptByPlan";
    case "ad":
      return "acceptedLoss";
    default:
      return "review";
  }
}

/** Holds the impact's lost numbers against `plan` (no plan: every one is `notInPlan`). */
export function reviewLosses(rows: readonly ImpactRow[], plan: BackfillPlan | undefined): LossReview {
  const byId = new Map<string, PlanRow>();
  const byUpn = new Map<string, PlanRow>();
  for (const r of plan?.rows ?? []) {
    if (r.entraId) byId.set(r.entraId.toLowerCase(), r);
    byUpn.set(r.userPrincipalName.toLowerCase(), r);
  }
  const counts = Object.fromEntries(LOSS_STANDINGS.map((s) => [s, 0])) as Record<LossStanding, number>;
  const users: LossReview["users"] = [];
  for (const row of rows) {
    if (row.change !== "overwrite" && row.change !== "clear") continue;
    const planRow =
      (row.entraId ? byId.get(row.entraId.toLowerCase()) : undefined) ?? byUpn.get(row.userPrincipalName.toLowerCase());
    const standing = standingOf(row, planRow);
    counts[standing]++;
    users.push({ row, standing });
  }
  return { users, counts, unsettled: counts.review + counts.changedSincePlan + counts.notInPlan };
}

/** Each unsettled standing in words, and what to do about it (the policy's and the CLI's messages). */
export const LOSS_REMEDIES: Record<
  Exclude<LossStanding, "keptByPlan" | "acceptedLoss">,
  { what: string; fix: string }
> = {
  review: { what: "still to review", fix: "decide cloud or ad in the plan's Decision column" },
  changedSincePlan: {
    what: "changed since the plan",
    fix: "make a new plan (syncgap backfill plan): AD or Entra ID holds other values than this one read",
  },
  notInPlan: { what: "not in the plan", fix: "make a new plan (syncgap backfill plan) that covers them" },
};
