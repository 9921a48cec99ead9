/**
 * Entra ID users from a Graph JSON export file. Two shapes are accepted:
 *   - an array of user objects: `[{ "id": …, "userPrincipalName": …, "mobilePhone": … }, …]`
 *     (what `Get-MgUser -All … | ConvertTo-Json` or `jq '[.value[]]'` gives);
 *   - an array of Graph pages: `[{ "value": [ …users… ], "@odata.nextLink": … }, …]` (raw responses saved as read).
 * A file that is not JSON, mixes both shapes or holds a bad user fails with the file name, the position (line and
 * column, or the JSON pointer of the value) and what is wrong.
 */
import { readFileSync, statSync } from "node:fs";
import { GapInputError } from "../errors";
import type { EntraUser, SourceInfo } from "../types";
import { EntraUserShapeError, isSynced, toEntraUser } from "./users";

export interface EntraExport {
  users: EntraUser[];
  info: SourceInfo;
  notes: string[];
}

function lineColumn(text: string, position: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  return `line ${line} column ${col}`;
}

export function readEntraJsonFile(path: string): EntraExport {
  const source = `Entra ID export ${path}`;
  const remedy =
    'export an array of Graph user objects or an array of Graph pages ({ "value": [...] }); see docs/gap-analysis.md';
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new Error("not a regular file");
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new GapInputError(
      source,
      `cannot read the file: ${(e as Error).message}`,
      "check the path given to --entra-json",
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // PowerShell's Out-File writes a BOM
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /at position (\d+)/.exec(msg);
    const where = /\(line \d+ column \d+\)/.test(msg) || !pos ? "" : ` (${lineColumn(text, Number(pos[1]))})`;
    throw new GapInputError(source, `not valid JSON: ${msg}${where}`, remedy);
  }
  if (!Array.isArray(data)) {
    const hint =
      data && typeof data === "object" && Array.isArray((data as { value?: unknown }).value)
        ? " (a single Graph page: wrap it in [ ] to make it an array of pages)"
        : "";
    throw new GapInputError(
      source,
      `at /: expected a JSON array, found ${data === null ? "null" : typeof data}${hint}`,
      remedy,
    );
  }
  const isPage = (v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && Object.hasOwn(v as object, "value");
  const pages = data.length > 0 && isPage(data[0]);
  const users: EntraUser[] = [];
  let notSynced = 0;
  let withoutSyncFlag = 0;
  const take = (raw: unknown, where: string) => {
    const u = toEntraUser(raw, where);
    if (u.onPremisesSyncEnabled === undefined) withoutSyncFlag++;
    if (isSynced(u)) users.push(u);
    else notSynced++;
  };
  try {
    data.forEach((item, i) => {
      if (pages) {
        if (!isPage(item))
          throw new EntraUserShapeError(
            `/${i}`,
            'expected a Graph page ({ "value": [...] }) like the elements before it',
          );
        const value = (item as { value: unknown }).value;
        if (!Array.isArray(value)) throw new EntraUserShapeError(`/${i}/value`, "expected an array of users");
        value.forEach((u, j) => {
          take(u, `/${i}/value/${j}`);
        });
      } else {
        if (isPage(item))
          throw new EntraUserShapeError(`/${i}`, "a Graph page among user objects: use one shape for the whole file");
        take(item, `/${i}`);
      }
    });
  } catch (e) {
    if (e instanceof EntraUserShapeError)
      throw new GapInputError(source, `${e.problem} (at JSON pointer ${e.where})`, remedy);
    throw e;
  }
  const seen = new Set<string>();
  for (const [i, u] of users.entries()) {
    if (seen.has(u.id)) throw new GapInputError(source, `user id ${u.id} appears twice (user #${i + 1})`, remedy);
    seen.add(u.id);
  }
  const skipped: { count: number; reason: string }[] = [];
  if (notSynced)
    skipped.push({ count: notSynced, reason: "onPremisesSyncEnabled is not true (cloud-only or no longer synced)" });
  const notes: string[] = [];
  if (withoutSyncFlag) {
    notes.push(
      `${withoutSyncFlag} users in ${path} carry no onPremisesSyncEnabled: they were taken as synced users ` +
        "(export with $select including onPremisesSyncEnabled to let syncgap leave cloud-only users out).",
    );
  }
  return {
    users,
    info: {
      kind: "json",
      description: `Graph JSON export ${path} (${pages ? `${data.length} pages` : "array of users"})`,
      users: users.length,
      mode: "export",
      ...(skipped.length ? { skipped } : {}),
    },
    notes,
  };
}
