/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core. Nothing is installed here: without
 * /usr/bin/chromium the test fails and names scripts/ensure-packages.sh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGapAnalysis } from "../../gap/index";
import { parsePreviousReport } from "../../gap/reports/comparison";
import { HTML_BLOCK_ROWS } from "../../gap/reports/html";
import { compareRuns, writeReports } from "../../gap/reports/index";
import { gapJson } from "../../gap/reports/json";
import type { GapResult, GapRow } from "../../gap/types";
import { judge } from "../../gap/verdict";
import { adUser, craftedDirectory, entraTwin, memorySource } from "../support/gapUsers";

const CHROMIUM = "/usr/bin/chromium";
const OUT = resolve(__dirname, "../../out");

let browser: BrowserContext;
let userDataDir: string;
let result: GapResult;
let files: Record<string, string>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: run scripts/ensure-packages.sh (installs Debian's chromium package) first`,
    );
  }
  const { ad, entra } = craftedDirectory();
  // A hostile display name (must render as text) and enough users to need more than one page of the table.
  const hostile = adUser({ displayName: `<img src=x onerror="window.__pwned=1">`, mobile: "+14255550111" });
  ad.push(hostile);
  entra.push(entraTwin(hostile, { mobilePhone: "+14255550112", displayName: hostile.displayName }));
  for (let i = 0; i < 300; i++) {
    const a = adUser({}, 50_000 + i);
    ad.push(a);
    entra.push(entraTwin(a, { mobilePhone: i % 2 ? null : "+1 999 000 0000" }));
  }
  result = await runGapAnalysis({
    ad: { kind: "source", source: memorySource(ad, 100) },
    entra: { kind: "users", users: entra },
    includeInSync: true,
  });
  const dir = mkdtempSync(join(tmpdir(), "syncgap-html-"));
  files = await writeReports(result, { outDir: dir, verdict: judge({ result }), junitUsers: 1000 });
  userDataDir = mkdtempSync(join(tmpdir(), "syncgap-chromium-"));
  // A fresh profile per run (launchPersistentContext owns the user-data dir; Playwright refuses it as an argument).
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function open(file = files.html): Promise<{ page: Page; requests: string[]; problems: string[] }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("body[data-ready=true]");
  return { page, requests, problems };
}

const count = (page: Page) => page.locator("#row-count").getAttribute("data-count").then(Number);

describe("HTML report in Chromium", () => {
  it("opens offline, draws the chart and lists every row", async () => {
    const { page, requests, problems } = await open();
    expect(requests).toEqual([pathToFileURL(files.html).href]); // self-contained: nothing else is fetched
    expect(problems).toEqual([]); // no CSP violation, no script error
    expect(await page.locator("#chart .bar").count()).toBe(8); // one per category, CloudManaged included
    const mie = page.locator('#chart .bar[data-category="MissingInEntra"] .value');
    expect(Number(await mie.textContent())).toBe(result.counts.MissingInEntra);
    expect(
      Number(await page.locator('#chart .bar[data-category="MissingInEntra"] rect').getAttribute("width")),
    ).toBeGreaterThan(0);
    expect(await count(page)).toBe(result.rows.length);
    expect(await page.locator("#gap-table tbody tr").count()).toBe(200); // first page
    expect(await page.locator("#verdict").textContent()).toBe("FAIL");
    expect(await page.locator("#verdict").getAttribute("data-exit-code")).toBe("1");
    expect(await page.locator("#coverage").textContent()).toMatch(/^Coverage: 307 users matched of 308 AD users/);
    // one row per check: coverage and the three gated categories, each failing one with its fix and Learn link
    expect(await page.locator("#checks tbody tr").count()).toBe(4);
    expect(await page.locator('#checks tr[data-check="coverage"] td').nth(1).textContent()).toBe("pass");
    const mieCheck = page.locator('#checks tr[data-check="category:MissingInEntra"] td');
    expect(await mieCheck.nth(1).textContent()).toBe("fail");
    expect(await mieCheck.nth(3).textContent()).toContain("turn AD authority on");
    expect(await page.locator('#next-steps li[data-category="NotInEntra"]').textContent()).toContain(
      "Entra Connect's OU and attribute filtering",
    );
    // the one-user categories stay visible next to the 151-user ones
    const cloudOnly = page.locator('#chart .bar[data-category="CloudOnly"] rect');
    expect(Number(await cloudOnly.getAttribute("width"))).toBeGreaterThanOrEqual(6);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, "gap-report.png"), fullPage: false });
    await page.close();
  });

  it("sorts by a column, both ways", async () => {
    const { page } = await open();
    const upns = result.rows.map((r) => r.userPrincipalName.toLowerCase()).sort();
    await page.click('#gap-table th[data-key="userPrincipalName"]');
    expect(await page.locator('#gap-table th[data-key="userPrincipalName"]').getAttribute("aria-sort")).toBe(
      "ascending",
    );
    expect((await page.locator("#gap-table tbody tr td").first().textContent())?.toLowerCase()).toBe(upns[0]);
    await page.click('#gap-table th[data-key="userPrincipalName"]');
    expect(await page.locator('#gap-table th[data-key="userPrincipalName"]').getAttribute("aria-sort")).toBe(
      "descending",
    );
    expect((await page.locator("#gap-table tbody tr td").first().textContent())?.toLowerCase()).toBe(
      upns[upns.length - 1],
    );
    await page.click('#gap-table th[data-key="adMobile"]');
    const first = await page.locator("#gap-table tbody tr td:nth-child(3)").first().textContent();
    const mobiles = result.rows
      .map((r) => r.adMobile ?? "")
      .filter(Boolean)
      .map((m) => m.toLowerCase())
      .sort();
    expect(first?.toLowerCase()).toBe(mobiles[0]);
    await page.close();
  });

  it("filters by category (select and chart bar) and by text", async () => {
    const { page } = await open();
    await page.selectOption("#category-filter", "ValueMismatch");
    expect(await count(page)).toBe(result.counts.ValueMismatch);
    const cats = await page
      .locator("#gap-table tbody tr")
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-category")));
    expect(new Set(cats)).toEqual(new Set(["ValueMismatch"]));
    await page.click('#chart .bar[data-category="CloudOnly"]');
    expect(await page.locator("#category-filter").inputValue()).toBe("CloudOnly");
    expect(await count(page)).toBe(result.counts.CloudOnly);
    await page.selectOption("#category-filter", "");
    await page.fill("#search", "cloudonly@corp");
    expect(await count(page)).toBe(1);
    await page.fill("#search", "");
    await page.selectOption("#category-filter", "ValueMismatch");
    await page.locator("#gap-table").scrollIntoViewIfNeeded();
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, "gap-report-filtered.png") });
    await page.close();
  });

  it("pages through large results", async () => {
    const { page } = await open();
    await page.click("#next");
    expect(await page.locator("#page-info").textContent()).toBe(`page 2 of ${Math.ceil(result.rows.length / 200)}`);
    expect(await page.locator("#gap-table tbody tr").count()).toBe(result.rows.length - 200);
    await page.close();
  });

  it("shows directory data as text, never as markup", async () => {
    const { page } = await open();
    await page.fill("#search", "onerror");
    expect(await count(page)).toBe(1);
    expect(await page.locator("#gap-table tbody img").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("#gap-table tbody tr td").nth(8).textContent()).toContain("<img src=x");
    await page.close();
  });

  it("JUnit XML parses in a real XML parser: a case per gated check, then the per-user cases asked for", async () => {
    const page = await browser.newPage();
    const xml = readFileSync(files.junit, "utf8");
    const out = await page.evaluate((text) => {
      // Runs in the page: the browser's own XML parser (typed here without the DOM lib).
      type El = { getAttribute(n: string): string | null };
      type Doc = { getElementsByTagName(n: string): { length: number }; querySelector(s: string): El | null };
      const Parser = (globalThis as unknown as { DOMParser: new () => { parseFromString(t: string, m: string): Doc } })
        .DOMParser;
      const doc = new Parser().parseFromString(text, "application/xml");
      return {
        error: doc.getElementsByTagName("parsererror").length,
        cases: doc.getElementsByTagName("testcase").length,
        failures: doc.getElementsByTagName("failure").length,
        suiteFailures: doc.querySelector("testsuite")?.getAttribute("failures"),
      };
    }, xml);
    expect(out.error).toBe(0);
    const gated = result.counts.MissingInEntra + result.counts.ValueMismatch + result.counts.CloudOnly;
    expect(gated).toBe(304);
    expect(out.cases).toBe(4 + gated); // coverage + 3 gated categories, then one case per user in them
    expect(out.failures).toBe(3 + gated);
    expect(Number(out.suiteFailures)).toBe(3 + gated);
    await page.close();
  });
});

describe("HTML report at scale, with the per-OU breakdown and the previous run", () => {
  let big: GapResult;
  let bigHtml: string;

  beforeAll(async () => {
    // Three blocks of rows: the page must parse only what it shows until it is asked to search.
    const n = 2 * HTML_BLOCK_ROWS + 123;
    const base = result.rows.find((r) => r.category === "ValueMismatch") as GapRow;
    const rows: GapRow[] = Array.from({ length: n }, (_, i) => ({
      ...base,
      userPrincipalName: `bulk${i}@corp.example.test`,
      immutableId: `bulk-${i}`,
      entraId: `e-bulk-${i}`,
      category: i % 3 ? "ValueMismatch" : "MissingInEntra",
      ou: `OU=Site ${i % 40},DC=corp,DC=example,DC=test`,
      department: `Dept ${i % 7}`,
    }));
    const countsOf = (list: GapRow[]) => {
      const c = Object.fromEntries(Object.keys(result.counts).map((k) => [k, 0])) as GapResult["counts"];
      for (const r of list) c[r.category]++;
      return c;
    };
    big = { ...result, rows, counts: countsOf(rows) };
    // the previous run: the first 100 users were out of sync then too, one user then is gone now
    const before = {
      ...result,
      rows: [...rows.slice(0, 100), { ...base, userPrincipalName: "gone@corp.example.test", immutableId: "gone" }],
    };
    before.counts = countsOf(before.rows);
    const previous = parsePreviousReport(gapJson(before), "previous/gap-report.json");
    const dir = mkdtempSync(join(tmpdir(), "syncgap-html-big-"));
    const out = await writeReports(big, {
      outDir: dir,
      verdict: judge({ result: big }),
      formats: ["html"],
      previous: compareRuns(previous, big),
      ouLimit: 10,
    });
    bigHtml = out.html as string;
  }, 120_000);

  it("parses one block of rows to show the first page, all of them only to search", async () => {
    const { page, problems } = await open(bigHtml);
    expect(problems).toEqual([]);
    expect(await page.locator("body").getAttribute("data-parsed-blocks")).toBe("1");
    expect(await count(page)).toBe(big.rows.length);
    expect(await page.locator("#gap-table tbody tr").count()).toBe(200);
    await page.click("#next");
    expect(await page.locator("body").getAttribute("data-parsed-blocks")).toBe("1");
    const last = big.rows[big.rows.length - 1] as GapRow;
    await page.fill("#search", last.userPrincipalName);
    expect(await count(page)).toBe(1);
    expect(await page.locator("body").getAttribute("data-parsed-blocks")).toBe("3");
    const cells = await page.locator("#gap-table tbody tr td").allTextContents();
    expect(cells).toContain(last.department);
    expect(cells).toContain(last.ou);
    await page.close();
  });

  it("shows the OUs with the most users out of sync, capped, and the change since the previous run", async () => {
    const { page } = await open(bigHtml);
    expect(await page.locator("#ou-breakdown tbody tr").count()).toBe(10);
    const firstOu = await page.locator("#ou-breakdown tbody tr td").first().textContent();
    expect(firstOu).toBe("OU=Site 0,DC=corp,DC=example,DC=test"); // 256 users; ties broken by name
    expect(await page.locator("#ou-more").textContent()).toMatch(/^30 more OUs with [\d,]+ users out of sync\.$/);
    expect(await page.locator("#comparison-summary").textContent()).toMatch(/101 → [\d,]+ out of sync \(\+[\d,]+\)/);
    expect(await page.locator("#no-longer-out-of-sync li").allTextContents()).toEqual([
      "gone@corp.example.test: ValueMismatch → not listed",
    ]);
    expect(await page.locator("#newly-out-of-sync li").count()).toBe(20); // capped list
    mkdirSync(OUT, { recursive: true });
    await page.locator("#comparison").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, "gap-report-comparison.png") });
    await page.close();
  });
});
