/**
 * What to do about each category: one line per category for the reports and the gate's messages, with the Microsoft
 * Learn page it comes from. The wording follows what is known of the switch: once AD is authoritative, it no longer
 * says "if AD became authoritative".
 */
import type { Category } from "./types";

export const LEARN = {
  /** The switch, what it overwrites, and the Initial sync Microsoft recommends after turning it on. */
  bypassHowTo: "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-bypassdirsyncoverrides",
  /** Delta vs Initial sync cycles, Start-ADSyncSyncCycle. */
  scheduler: "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-scheduler",
  /** sourceAnchor / onPremisesImmutableId, the strongest join key. */
  sourceAnchor: "https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts",
  /** Moving a synced user's source of authority to the cloud (onPremisesSyncBehavior, beta). */
  cloudManaged: "https://learn.microsoft.com/graph/api/resources/onpremisessyncbehavior?view=graph-rest-beta",
  /** OU and attribute filtering in Entra Connect. */
  filtering: "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-configure-filtering",
} as const;

/** Who wins for mobile numbers, as far as this run knows: the switch read from the tenant, or not read. */
export type Authority = "onPremises" | "cloud" | "unknown";

export interface NextStep {
  text: string;
  link: string;
}

const INITIAL_SYNC = "Start-ADSyncSyncCycle -PolicyType Initial";
const KEEP_CLOUD =
  "write the cloud number into AD's mobile first (ADSyncTools: Set-ADSyncToolsDirSyncOverridesUser -MobileInAD)";

/** The next step for users of a category; undefined for InSync. */
export function nextStep(category: Category, authority: Authority): NextStep | undefined {
  const on = authority === "onPremises";
  switch (category) {
    case "MissingInEntra":
      return on
        ? {
            text: `AD is authoritative, so an Initial sync writes AD's number to Entra ID: run ${INITIAL_SYNC} (a Delta sync leaves users unchanged in AD as they are).`,
            link: LEARN.scheduler,
          }
        : {
            text: `A DirSync override keeps AD's number out of Entra ID: turn AD authority on (bypassDirSyncOverridesEnabled = true), then run ${INITIAL_SYNC}.`,
            link: LEARN.bypassHowTo,
          };
    case "ValueMismatch":
      return on
        ? {
            text: `AD is authoritative: an Initial sync (${INITIAL_SYNC}) replaces the cloud number with AD's. To keep the cloud number instead, ${KEEP_CLOUD}.`,
            link: LEARN.bypassHowTo,
          }
        : {
            text: `Decide which number is right. To keep the cloud number, ${KEEP_CLOUD} before turning AD authority on; otherwise AD's number replaces it.`,
            link: LEARN.bypassHowTo,
          };
    case "CloudOnly":
      return on
        ? {
            text: `AD is authoritative and has no number, so an Initial sync clears the cloud number: to keep it, ${KEEP_CLOUD}.`,
            link: LEARN.bypassHowTo,
          }
        : {
            text: `Only Entra ID has a number, and turning AD authority on would clear it: ${KEEP_CLOUD}.`,
            link: LEARN.bypassHowTo,
          };
    case "FormatOnly":
      return {
        text: "The same number written differently: nothing is lost. Optionally write AD's mobile in E.164 so both sides read alike.",
        link: LEARN.bypassHowTo,
      };
    case "NotInAD":
      return {
        text: "Check the join: is the user's OU among the AD base DNs read, and does onPremisesImmutableId match the AD user's ms-DS-ConsistencyGuid (or objectGUID)?",
        link: LEARN.sourceAnchor,
      };
    case "NotInEntra":
      return {
        text: "Not synced: check Entra Connect's OU and attribute filtering and its sync errors, or wait for the next sync cycle for new users.",
        link: LEARN.filtering,
      };
    case "CloudManaged":
      return {
        text: "The user is cloud-managed (onPremisesSyncBehavior.isCloudManaged): AD no longer updates it and the switch does not apply. Edit the number in Entra ID, or move the user back to AD management first.",
        link: LEARN.cloudManaged,
      };
    case "InSync":
      return undefined;
  }
}
