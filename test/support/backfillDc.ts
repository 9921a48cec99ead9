/**
 * The back-fill tests' hands on the real Samba DC: users with chosen mobiles in an OU of the test's own (made and
 * removed as the domain's Administrator), the "Write mobile" right granted for real (samba-tool dsacl, the same ACE
 * the Delegation of Control Wizard writes), and independent reads of what the DC holds — as Administrator over LDAP,
 * and straight from the DC's database with ldbsearch.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Attribute, Change, Client } from "ldapts";
import { escapeDnValue } from "../../ad/escape";
import { guidBytesToString, sidBytesToString } from "../../ad/ids";
import { adminLdap } from "./adminLdap";
import { grantWriteMobile, type SambaDc } from "./sambaDc";

const run = promisify(execFile);

export interface BackfillAdmin {
  addOu(name: string, parent?: string): Promise<string>;
  /** A user with `mobile` set (or none); returns its DN and objectGUID. */
  addUser(cn: string, parent: string, mobile: string | null, upn?: string): Promise<{ dn: string; guid: string }>;
  setMobile(dn: string, mobile: string | null): Promise<void>;
  /** The user's mobile as the DC returns it to Administrator. */
  mobile(dn: string): Promise<string | null>;
  /** Grants `trusteeDn` "Write mobile" on user objects below `ouDn` (samba-tool dsacl set). */
  grantWriteMobile(ouDn: string, trusteeDn: string): Promise<void>;
  remove(dn: string): Promise<void>;
  close(): Promise<void>;
}

export function adminPassword(dc: SambaDc): string {
  return readFileSync(join(dc.dir, "admin-password"), "utf8").trim();
}

export async function backfillAdmin(dc: SambaDc): Promise<BackfillAdmin> {
  const helper = await adminLdap(dc);
  const client = new Client({ url: dc.url, tlsOptions: { ca: dc.caPem }, strictDN: false, timeout: 30_000 });
  await client.bind(`Administrator@${dc.domain}`, adminPassword(dc));
  const read = async (dn: string, attrs: string[]) => {
    const { searchEntries } = await client.search(dn, {
      scope: "base",
      attributes: attrs,
      explicitBufferAttributes: ["objectGUID", "objectSid"],
    });
    return searchEntries[0]!;
  };
  return {
    addOu: (name, parent = dc.baseDN) => helper.addOu(name, parent),
    async addUser(cn, parent, mobile, upn) {
      const dn = `CN=${escapeDnValue(cn)},${parent}`;
      const sam = `bf${cn.replace(/[^A-Za-z0-9]/g, "").slice(0, 10)}${Math.floor(Math.random() * 1e6)}`;
      await client.add(dn, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        cn,
        sAMAccountName: sam,
        userPrincipalName: upn ?? `${sam}@${dc.domain}`,
        ...(mobile !== null ? { mobile } : {}),
      });
      const e = await read(dn, ["objectGUID"]);
      return { dn, guid: guidBytesToString(e.objectGUID as Buffer) };
    },
    async setMobile(dn, mobile) {
      await client.modify(
        dn,
        new Change({
          operation: "replace",
          modification: new Attribute({ type: "mobile", values: mobile === null ? [] : [mobile] }),
        }),
      );
    },
    async mobile(dn) {
      const v = (await read(dn, ["mobile"])).mobile;
      const first = Array.isArray(v) ? v[0] : v;
      return first === undefined ? null : String(first);
    },
    async grantWriteMobile(ouDn, trusteeDn) {
      const sid = sidBytesToString((await read(trusteeDn, ["objectSid"])).objectSid as Buffer);
      await grantWriteMobile(dc, ouDn, sid);
    },
    remove: (dn) => helper.remove(dn),
    async close() {
      await client.unbind().catch(() => {});
      await helper.close();
    },
  };
}

/**
 * `dn` and `mobile` of every user below `base`, read from the DC's own database with ldbsearch (not through the
 * LDAP server syncgap wrote through), as the lines ldbsearch prints, in DN order.
 */
export async function ldbMobiles(dc: SambaDc, base: string): Promise<string> {
  const { stdout } = await run(
    "ldbsearch",
    ["-H", dc.samLdb, "-b", base, "-s", "sub", "(objectClass=user)", "mobile"],
    { timeout: 60_000, maxBuffer: 16 << 20 },
  );
  const records = stdout
    .replace(/\n /g, "")
    .split(/\n(?=# record )/)
    .filter((r) => r.startsWith("# record"))
    .map((r) =>
      r
        .split("\n")
        .filter((l) => /^(dn|mobile):/.test(l))
        .join("\n"),
    );
  return records.sort().join("\n\n");
}
