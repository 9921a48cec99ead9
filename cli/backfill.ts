/**
 * `syncgap backfill plan|apply|undo|emit` (docs/backfill.md): keep every cloud-entered mobile number by writing it
 * into AD before AD becomes the authority, reviewed and reversibly.
 *
 * Exit codes as elsewhere: 0 everything done (or nothing to do), 1 some users skipped (still to review, or their value
 * changed underneath), 2 could not read or write (the report says what was written before it stopped).
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { DEFAULT_LDAP_TIMEOUT_MS } from "../ad/ldapConnection";
import { applyPlan } from "../backfill/apply";
import { emitFiles } from "../backfill/emit";
import type { AdWriteTarget } from "../backfill/ldap";
import { runBackfillPlan } from "../backfill/plan";
import { readDecisionsCsv, readPlanJson, writePlanFiles } from "../backfill/planFiles";
import type { BackfillPlan, RunReport } from "../backfill/types";
import { undoFromFile } from "../backfill/undo";
import { DEFAULT_AD_PASSWORD_ENV } from "../gap/adSources";
import { EXIT } from "../gap/verdict";
import {
  addCommonOptions,
  adSpec,
  type CommonOptions,
  coverageThresholds,
  entraSpec,
  graphClientOptions,
  positiveNumber,
  UsageError,
} from "./options";
import { printError, printLines } from "./output";
import { commandOptions } from "./resolveOptions";

interface ConnOptions {
  adUrl?: string;
  adBindDn?: string;
  adCaCert?: string;
  adStartTls?: boolean;
  adPasswordEnv: string;
  adTimeoutSeconds: number;
  dryRun?: boolean;
  report?: string;
}

/** The AD connection options of apply and undo: the reader's, without base DNs (users are named by objectGUID). */
function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--ad-url <url>", "the DC, e.g. ldaps://dc1.corp.example:636").env("SYNCGAP_AD_URL"))
    .addOption(
      new Option("--ad-bind-dn <dn>", "account that may write mobile (password from the environment)").env(
        "SYNCGAP_AD_BIND_DN",
      ),
    )
    .addOption(new Option("--ad-ca-cert <file>", "PEM CA certificate to trust for ldaps://").env("SYNCGAP_AD_CA_CERT"))
    .option("--ad-start-tls", "ldap:// URLs: upgrade with StartTLS before binding (plain binds are refused)")
    .option("--ad-password-env <name>", "environment variable holding the bind password", DEFAULT_AD_PASSWORD_ENV)
    .option(
      "--ad-timeout-seconds <n>",
      "longest wait for the DC per LDAP request",
      positiveNumber("--ad-timeout-seconds"),
      DEFAULT_LDAP_TIMEOUT_MS / 1000,
    )
    .option("--dry-run", "read AD and show the LDAP modifies that would be sent; write nothing")
    .option("--report <file>", "where the run's report goes (default: next to the plan or undo file)");
}

function writeTarget(o: ConnOptions): AdWriteTarget {
  if (!o.adUrl) throw new UsageError("--ad-url is needed (the DC to write to)");
  if (!/^ldaps?:\/\//i.test(o.adUrl))
    throw new UsageError(`--ad-url must start with ldap:// or ldaps://, got "${o.adUrl}"`);
  if (!o.adBindDn) throw new UsageError("--ad-bind-dn is needed (the password comes from the environment)");
  return {
    url: o.adUrl,
    bindDN: o.adBindDn,
    passwordEnv: o.adPasswordEnv,
    ...(o.adCaCert ? { caCertPath: resolve(o.adCaCert) } : {}),
    ...(o.adStartTls ? { startTls: true } : {}),
    timeoutMs: o.adTimeoutSeconds * 1000,
  };
}

function loadPlan(planPath: string, decisions?: string): { plan: BackfillPlan; sha256: string; path: string } {
  const path = resolve(planPath);
  const { plan, sha256 } = readPlanJson(path);
  if (!decisions) return { plan, sha256, path };
  const d = readDecisionsCsv(resolve(decisions), plan);
  for (const n of d.notes) printError(`syncgap backfill: note: ${n}`);
  printLines([`decisions from ${decisions}: ${d.changed} changed from the JSON plan`]);
  return { plan: d.plan, sha256, path };
}

function reportLines(report: RunReport, files: { reportPath?: string; backFile?: string; ldif?: string }): string[] {
  const c = report.counts;
  const lines: string[] = [];
  if (files.ldif !== undefined) lines.push(files.ldif.trimEnd(), "");
  for (const u of report.users) {
    if (u.status === "applied" || (u.status === "notAttempted" && !report.error && report.dryRun)) continue;
    lines.push(
      `${u.status}: ${u.userPrincipalName || u.distinguishedName} (${u.objectGuid}) ${u.from ?? "(none)"} → ${u.to ?? "(none)"}${u.found !== undefined && u.found !== u.from ? `, AD now ${u.found ?? "(none)"}` : ""}${u.reason ? `: ${u.reason}` : ""}`,
    );
  }
  const verb = report.dryRun ? "would write" : "applied";
  const todo = report.dryRun ? report.users.filter((u) => u.status === "notAttempted").length : c.applied;
  lines.push(
    `${report.kind}: ${verb} ${todo}, already done ${c.alreadyApplied}, skipped ${c.skipped} (to review ${c.review}), failed ${c.failed}, not attempted ${report.dryRun ? 0 : c.notAttempted}${report.kind === "apply" ? `, AD kept ${c.keepAd}` : ""}`,
  );
  if (files.backFile) lines.push(`${report.kind === "apply" ? "undo" : "redo"} file: ${files.backFile}`);
  if (files.reportPath) lines.push(`report: ${files.reportPath}`);
  return lines;
}

function finish(report: RunReport, files: { reportPath?: string; backFile?: string; ldif?: string }): number {
  printLines(reportLines(report, files));
  if (report.error) printError(`syncgap backfill: could not finish: ${report.error}`);
  return report.exitCode;
}

/**
 * Adds `backfill plan|apply|undo|emit` to `program`. `run` is the command line's own wrapper (cli/syncgap.ts): it
 * turns a command's result into the exit code and any error into exit 2 with one line, as for every other command.
 */
export function registerBackfill(program: Command, run: (fn: () => Promise<number>) => () => Promise<void>): Command {
  const backfill = program
    .command("backfill")
    .description(
      "keep cloud-entered mobile numbers: write them into AD before AD becomes the authority (reviewed, reversible)",
    );

  addCommonOptions(
    backfill
      .command("plan")
      .description(
        "the AD writes that keep every cloud number: backfill-plan.json and .csv (edit Decision); exit 0, or 2",
      ),
  )
    .addOption(
      new Option("--prefer <side>", "ValueMismatch users: review (default: nothing written until decided), cloud or ad")
        .choices(["review", "cloud", "ad"])
        .default("review"),
    )
    .option("--normalise", "FormatOnly users: write the E.164 form instead of keeping AD's spelling")
    .option("--emit", "also write the LDIF change file and PowerShell script (and their undo) for your own tooling")
    .action(function (this: Command) {
      return run(async () => {
        const o = commandOptions<
          CommonOptions & { prefer: "review" | "cloud" | "ad"; normalise?: boolean; emit?: boolean }
        >(this);
        // the plan's own folder unless --out (or reports.out) says otherwise
        const outDefault = this.getOptionValueSource("out") === "default" && o.out === this.getOptionValue("out");
        const spec = { ad: adSpec(o), entra: entraSpec(o), defaultRegion: o.defaultRegion };
        const { plan } = await runBackfillPlan(spec, {
          prefer: o.prefer,
          normalise: Boolean(o.normalise),
          coverage: coverageThresholds(o),
          gap: { graph: graphClientOptions(o) },
        });
        const dir = resolve(outDefault ? "backfill" : o.out);
        const { mkdir } = await import("node:fs/promises");
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const files = await writePlanFiles(dir, plan);
        const lines = [
          `plan: ${plan.counts.rows} user(s) whose cloud number AD authority would clear, overwrite or respell (${plan.coverage})`,
          `  write into AD: ${plan.counts.write}, to review: ${plan.counts.review}, keep AD's: ${plan.counts.keepAd}${plan.counts.problems ? `, with a value AD cannot take: ${plan.counts.problems}` : ""}`,
          `plan: ${files.json}`,
          `review in Excel: ${files.csv} (edit Decision only; hand back with apply --plan ${files.json} --decisions ${files.csv})`,
        ];
        if (o.emit) {
          const { sha256 } = readPlanJson(files.json);
          const e = await emitFiles(plan, sha256, dir);
          lines.push(`for your own tooling: ${e.ldif}, ${e.ps1} (undo: ${e.undoLdif}, ${e.undoPs1})`);
        }
        printLines(lines);
        return EXIT.pass;
      })();
    });

  addConnectionOptions(
    backfill
      .command("apply")
      .description(
        "write the plan's decided numbers into AD mobile, each guarded by the value the plan saw; exit 0, 1 or 2",
      )
      .requiredOption("--plan <file>", "backfill-plan.json")
      .option("--decisions <csv>", "take the decisions from the reviewed backfill-plan.csv (checked against the plan)")
      .option(
        "--undo-file <file>",
        "where the undo file goes (default backfill-undo.ldif next to the plan; never replaced)",
      ),
  ).action(function (this: Command) {
    const o = this.opts<ConnOptions & { plan: string; decisions?: string; undoFile?: string }>();
    return run(async () => {
      const target = writeTarget(o);
      const { plan, sha256, path } = loadPlan(o.plan, o.decisions);
      const r = await applyPlan(plan, { path, sha256 }, target, {
        dryRun: Boolean(o.dryRun),
        ...(o.undoFile ? { backPath: resolve(o.undoFile) } : {}),
        ...(o.report ? { reportPath: resolve(o.report) } : {}),
      });
      return finish(r.report, { ...r, ldif: r.dryRunLdif });
    })();
  });

  addConnectionOptions(
    backfill
      .command("undo")
      .description("put back what apply replaced, each guarded by the value apply wrote; exit 0, 1 or 2")
      .requiredOption("--file <ldif>", "the undo file apply wrote (backfill-undo.ldif)")
      .option("--redo-file <file>", "where the redo file goes (default backfill-redo.ldif next to it; never replaced)"),
  ).action(function (this: Command) {
    const o = this.opts<ConnOptions & { file: string; redoFile?: string }>();
    return run(async () => {
      const target = writeTarget(o);
      const r = await undoFromFile(resolve(o.file), target, {
        dryRun: Boolean(o.dryRun),
        ...(o.redoFile ? { backPath: resolve(o.redoFile) } : {}),
        ...(o.report ? { reportPath: resolve(o.report) } : {}),
      });
      return finish(r.report, { ...r, ldif: r.dryRunLdif });
    })();
  });

  backfill
    .command("emit")
    .description("the plan's writes as an LDIF change file and a PowerShell script (and their undo); exit 0, or 2")
    .requiredOption("--plan <file>", "backfill-plan.json")
    .option("--decisions <csv>", "take the decisions from the reviewed backfill-plan.csv")
    .option("--out <dir>", "folder for the files (default: the plan's)")
    .action(function (this: Command) {
      const o = this.opts<{ plan: string; decisions?: string; out?: string }>();
      return run(async () => {
        const { plan, sha256, path } = loadPlan(o.plan, o.decisions);
        const e = await emitFiles(plan, sha256, o.out ? resolve(o.out) : resolve(path, ".."));
        printLines([`LDIF: ${e.ldif}`, `PowerShell: ${e.ps1}`, `undo: ${e.undoLdif}, ${e.undoPs1}`]);
        return EXIT.pass;
      })();
    });
  return backfill;
}
