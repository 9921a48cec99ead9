/**
 * Writes to the test DC as its Administrator (the password scripts/samba-dc.sh keeps in the run folder's
 * admin-password), for live tests that need objects the seed does not have. Each test tree lives under one OU of its
 * own, removed again by `remove()`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "ldapts";
import { parseDn } from "../../ad/dn";
import { escapeDnValue } from "../../ad/escape";
import type { SambaDc } from "./sambaDc";

export interface AdminLdap {
  /** Adds an OU `name` under `parent` and returns its DN. */
  addOu(name: string, parent: string): Promise<string>;
  /** Adds a (disabled, password-less) user `cn` under `parent` and returns its DN. */
  addUser(cn: string, parent: string): Promise<string>;
  /** Deletes `dn` and everything below it (leaves first). Missing is fine. */
  remove(dn: string): Promise<void>;
  close(): Promise<void>;
}

export async function adminLdap(dc: SambaDc): Promise<AdminLdap> {
  const client = new Client({ url: dc.url, tlsOptions: { ca: dc.caPem }, strictDN: false, timeout: 30_000 });
  await client.bind(`Administrator@${dc.domain}`, readFileSync(join(dc.dir, "admin-password"), "utf8").trim());
  return {
    async addOu(name, parent) {
      const dn = `OU=${escapeDnValue(name)},${parent}`;
      await client.add(dn, { objectClass: ["top", "organizationalUnit"], ou: name });
      return dn;
    },
    async addUser(cn, parent) {
      const dn = `CN=${escapeDnValue(cn)},${parent}`;
      const sam = cn.replace(/[^A-Za-z0-9]/g, "").slice(0, 16) || "user";
      await client.add(dn, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        cn,
        sAMAccountName: `${sam}${Math.floor(Math.random() * 1e4)}`,
        userPrincipalName: `${sam}.${Math.floor(Math.random() * 1e6)}@${dc.domain}`,
      });
      return dn;
    },
    async remove(dn) {
      let entries: { dn: string }[];
      try {
        ({ searchEntries: entries } = await client.search(dn, { scope: "sub", attributes: ["1.1"] }));
      } catch (e) {
        if ((e as { code?: number }).code === 32) return;
        throw e;
      }
      const depth = (d: string) => parseDn(d).rdns.length;
      for (const e of [...entries].sort((a, b) => depth(b.dn) - depth(a.dn))) await client.del(e.dn);
    },
    async close() {
      await client.unbind().catch(() => {});
    },
  };
}
