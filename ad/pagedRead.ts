/**
 * The paged read of a live DC (readMode `paged`, and `auto` where DirSync is not offered or refused): a paged
 * search (RFC 2696) under each base DN, one request per page of up to 1000 entries.
 */
import type { Client } from "ldapts";
import { type LdapReadRun, searchOptions } from "./ldapSearchStream";
import type { AdUser } from "./types";

/** A paged search (RFC 2696) under each base DN. */
export async function* pagedPages(run: LdapReadRun, client: Client): AsyncGenerator<AdUser[]> {
  const { bases, filter, pageSize } = run.settings;
  for (const base of bases) {
    const search = async (tapped: boolean) => {
      const collected: Record<string, unknown>[] = [];
      const it = client.searchPaginated(base.wire, { ...searchOptions(filter), paged: { pageSize } });
      for (;;) {
        let step: IteratorResult<{ searchEntries: Record<string, unknown>[]; searchReferences: string[] }>;
        try {
          step = await it.next();
        } catch (e) {
          throw run.fail(e, `search ${base.given}`, base.given);
        }
        if (step.done) return collected;
        run.stats.requests++;
        run.stats.references.push(...step.value.searchReferences);
        if (!tapped) for (const entry of step.value.searchEntries) collected.push(entry);
        run.stats.elapsedMs = performance.now() - run.t0;
      }
    };
    // The DC returns only entries under the base (scope sub): every one is in scope.
    const inScope: number[] = [];
    yield* run.stream(client, `${run.url} ${base.given}`, () => 0, inScope, search);
    const empty = run.emptyScope(
      [base],
      inScope,
      (name) => `no user under base DN ${name} matches the filter: the DC found the base DN but returned no entries`,
    );
    if (empty) throw empty;
  }
}
