/**
 * HTML report: one self-contained file (no CDN, no network: a Content-Security-Policy forbids any fetch), with a
 * summary chart (inline SVG generated here), the inputs, the OUs with the most users out of sync, the change since an
 * earlier run (when given), and a table that sorts by any column, filters by category and by text, and pages through
 * large results. The rows travel as JSON inside the page and are put into the table with textContent only, so
 * directory data can never become markup or script.
 *
 * At a million users the page must still open: the rows are written as blocks of HTML_BLOCK_ROWS rows (each a JSON
 * array of arrays in column order, in its own non-executed <script type="application/json">), and a block is parsed
 * only when the page needs it — the first page parses the first block; filtering, sorting or searching parse them all,
 * once. Only one page of rows is ever in the DOM. The page is rendered in chunks (gapHtmlChunks), so it streams to
 * disk.
 */
import { createHash } from "node:crypto";
import { nextStep } from "../advice";
import { impactFigures } from "../impact";
import { CATEGORIES, CATEGORY_DESCRIPTIONS, type Category, type GapResult, type GapRow } from "../types";
import type { Verdict } from "../verdict";
import { count, num } from "../wording";
import { type RunComparison, signed } from "./comparison";
import { auditLine } from "./markdown";
import { OU_CATEGORIES, ouBreakdown } from "./ouBreakdown";

export const CATEGORY_COLORS: Record<Category, string> = {
  MissingInEntra: "#d9480f",
  ValueMismatch: "#c92a2a",
  CloudOnly: "#862e9c",
  FormatOnly: "#e8a317",
  NotInAD: "#1971c2",
  NotInEntra: "#0c8599",
  CloudManaged: "#5f3dc4",
  InSync: "#2f9e44",
};

export function htmlEscape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** JSON that is safe inside <script type="application/json">: no `<` (so no `</script>`), no U+2028/9 surprises. */
const SCRIPT_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};
export function scriptJson(value: unknown): string {
  // One pass: reports with 100k rows make this string tens of megabytes.
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => SCRIPT_ESCAPES[c]);
}

/** Horizontal bar chart of the counts per category, as inline SVG. */
export function summaryChartSvg(counts: Record<Category, number>): string {
  const width = 720;
  const labelW = 150;
  const valueW = 70;
  const barH = 26;
  const gap = 8;
  const max = Math.max(1, ...CATEGORIES.map((c) => counts[c]));
  const height = CATEGORIES.length * (barH + gap) + gap;
  const bars = CATEGORIES.map((c, i) => {
    const y = gap + i * (barH + gap);
    // A category of one user next to one of a million must still show: non-zero bars are at least 6 px wide.
    const w = counts[c] === 0 ? 0 : Math.max(6, Math.round(((width - labelW - valueW) * counts[c]) / max));
    return (
      `<g class="bar" data-category="${c}" tabindex="0" role="button" aria-label="${c}: ${count(counts[c], "user")}; show only ${c}">` +
      `<title>${c}: ${num(counts[c])} — ${htmlEscape(CATEGORY_DESCRIPTIONS[c])}</title>` +
      `<text x="${labelW - 8}" y="${y + barH / 2}" text-anchor="end" dominant-baseline="central" class="label">${c}</text>` +
      `<rect x="${labelW}" y="${y}" width="${w}" height="${barH}" rx="3" fill="${CATEGORY_COLORS[c]}"></rect>` +
      `<text x="${labelW + w + 6}" y="${y + barH / 2}" dominant-baseline="central" class="value">${num(counts[c])}</text>` +
      "</g>"
    );
  }).join("");
  return (
    `<svg id="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" ` +
    `role="img" aria-label="Users per category">${bars}</svg>`
  );
}

const STYLE = `
:root { color-scheme: light; --fg:#1b1f24; --muted:#5c6670; --line:#d8dee4; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; }
header { padding: 20px 28px; border-bottom: 1px solid var(--line); background: var(--bg); }
h1 { font-size: 20px; margin: 0 0 6px; } h2 { font-size: 16px; margin: 24px 0 8px; }
main { padding: 8px 28px 40px; max-width: 1400px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; }
.pass { background: #2f9e44; } .fail { background: #c92a2a; } .inconclusive, .syncTimeout { background: #e67700; }
table.checks td.status-pass { color: #2f9e44; } table.checks td.status-fail, table.checks td.status-inconclusive { color: #c92a2a; font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 22px; }
.muted { color: var(--muted); }
#chart { display: block; max-width: 720px; }
#chart .label { font-size: 13px; fill: var(--fg); } #chart .value { font-size: 13px; fill: var(--fg); font-weight: 600; }
#chart .bar { cursor: pointer; } #chart .bar:hover rect, #chart .bar:focus rect { opacity: .8; }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 12px 0; }
input, select, button { font: inherit; padding: 4px 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { position: sticky; top: 0; background: #fff; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.pill { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; white-space: nowrap; }
ul.notes { margin: 4px 0; padding-left: 20px; }
table.breakdown { width: auto; } table.breakdown td.num { text-align: right; }
td.worse { color: #c92a2a; font-weight: 600; } td.better { color: #2f9e44; font-weight: 600; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
`;

const SCRIPT = `
(function () {
  "use strict";
  var meta = JSON.parse(document.getElementById("gap-meta").textContent);
  var colors = meta.colors;
  var columns = meta.columns;
  var total = meta.total;
  var catIndex = columns.findIndex(function (c) { return c.key === "category"; });
  var blocks = Array.prototype.slice.call(document.querySelectorAll("script.gap-rows"));
  var parsed = [];
  var parsedCount = 0;
  // A block's rows, parsed the first time they are needed.
  function block(i) {
    if (!parsed[i]) { parsed[i] = JSON.parse(blocks[i].textContent); parsedCount++; document.body.setAttribute("data-parsed-blocks", String(parsedCount)); }
    return parsed[i];
  }
  var everyRow = null;
  function allRows() {
    if (!everyRow) { everyRow = []; for (var i = 0; i < blocks.length; i++) { var b = block(i); for (var j = 0; j < b.length; j++) everyRow.push(b[j]); } }
    return everyRow;
  }
  // Rows [start, end) of the unfiltered list, parsing only the blocks that hold them.
  function slice(start, end) {
    var out = [];
    for (var i = 0; i < blocks.length && out.length < end - start; i++) {
      var first = Number(blocks[i].getAttribute("data-start")), n = Number(blocks[i].getAttribute("data-count"));
      if (first + n <= start || first >= end) continue;
      var b = block(i);
      for (var j = Math.max(0, start - first); j < n && first + j < end; j++) out.push(b[j]);
    }
    return out;
  }
  var state = { category: "", text: "", key: null, dir: 1, page: 0, pageSize: 200 };
  var tbody = document.querySelector("#gap-table tbody");
  var count = document.getElementById("row-count");
  var pageInfo = document.getElementById("page-info");
  var select = document.getElementById("category-filter");
  var search = document.getElementById("search");
  function cell(r, i) { var v = r[i]; return v === null || v === undefined ? "" : String(v); }
  function filtered() {
    var t = state.text.toLowerCase();
    var out = allRows().filter(function (r) {
      if (state.category && r[catIndex] !== state.category) return false;
      if (!t) return true;
      for (var i = 0; i < columns.length; i++) if (cell(r, i).toLowerCase().indexOf(t) !== -1) return true;
      return false;
    });
    if (state.key !== null) {
      var k = state.key, d = state.dir;
      out.sort(function (a, b) {
        var x = cell(a, k).toLowerCase(), y = cell(b, k).toLowerCase();
        if (x === y) return 0;
        if (x === "") return 1; if (y === "") return -1;
        return x < y ? -d : d;
      });
    }
    return out;
  }
  function render() {
    var plain = !state.category && !state.text && state.key === null;
    var list = plain ? null : filtered();
    var n = plain ? total : list.length;
    var pages = Math.max(1, Math.ceil(n / state.pageSize));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * state.pageSize;
    var shown = plain ? slice(start, start + state.pageSize) : list.slice(start, start + state.pageSize);
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-category", r[catIndex]);
      columns.forEach(function (c, i) {
        var td = document.createElement("td");
        if (i === catIndex) {
          var s = document.createElement("span");
          s.className = "pill"; s.style.background = colors[r[i]]; s.textContent = r[i];
          td.appendChild(s);
        } else { td.textContent = cell(r, i); if (c.num) td.className = "num"; }
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
    count.textContent = n + " of " + total + " users";
    count.setAttribute("data-count", String(n));
    pageInfo.textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
  }
  document.querySelectorAll("#gap-table th").forEach(function (th, i) {
    th.addEventListener("click", function () {
      if (state.key === i) state.dir = -state.dir; else { state.key = i; state.dir = 1; }
      document.querySelectorAll("#gap-table th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", state.dir === 1 ? "ascending" : "descending");
      state.page = 0; render();
    });
  });
  select.addEventListener("change", function () { state.category = select.value; state.page = 0; render(); });
  search.addEventListener("input", function () { state.text = search.value; state.page = 0; render(); });
  document.getElementById("prev").addEventListener("click", function () { state.page--; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page++; render(); });
  document.querySelectorAll("#chart .bar").forEach(function (g) {
    function pick() { select.value = g.getAttribute("data-category"); select.dispatchEvent(new Event("change")); }
    g.addEventListener("click", pick);
    g.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
  });
  document.body.setAttribute("data-parsed-blocks", "0");
  render();
  document.body.setAttribute("data-ready", "true");
})();
`;

const COLUMNS = [
  { key: "userPrincipalName", label: "User" },
  { key: "category", label: "Category" },
  { key: "adMobile", label: "AD mobile", num: true },
  { key: "entraMobile", label: "Entra ID mobile", num: true },
  { key: "adOtherMobile", label: "AD otherMobile", num: true },
  { key: "matchedBy", label: "Matched by" },
  { key: "adMobileE164", label: "AD E.164", num: true },
  { key: "entraMobileE164", label: "Entra E.164", num: true },
  { key: "displayName", label: "Display name" },
  { key: "department", label: "Department" },
  { key: "ou", label: "OU" },
] as const satisfies readonly { key: keyof GapRow; label: string; num?: boolean }[];

/** Rows per JSON block of the page (see the file comment). */
export const HTML_BLOCK_ROWS = 5000;

function rowCells(r: GapRow): (string | null)[] {
  return COLUMNS.map((c) => {
    const v = r[c.key];
    return Array.isArray(v) ? v.join("; ") : (v as string | null);
  });
}

/** CSP source for an inline block: only this exact script and style may run (no 'unsafe-inline'). */
function cspHash(text: string): string {
  return `sha256-${createHash("sha256").update(text, "utf8").digest("base64")}`;
}

export interface HtmlOptions {
  /** OUs listed in the per-OU breakdown (./ouBreakdown.ts). */
  ouLimit?: number;
  /** This run against an earlier one (./comparison.ts). */
  comparison?: RunComparison;
}

function ouHtml(result: GapResult, limit?: number): string {
  const b = ouBreakdown(result.rows, limit);
  if (!b.ous.length) return "";
  const head = `<tr><th scope="col">OU</th><th scope="col">Out of sync</th>${OU_CATEGORIES.map((c) => `<th scope="col">${c}</th>`).join("")}</tr>`;
  const body = b.ous
    .map(
      (l) =>
        `<tr><td>${htmlEscape(l.ou)}</td><td class="num">${num(l.outOfSync)}</td>${OU_CATEGORIES.map((c) => `<td class="num">${num(l.counts[c])}</td>`).join("")}</tr>`,
    )
    .join("");
  const more = b.moreOus
    ? `<p class="muted" id="ou-more">${count(b.moreOus, "more OU")} with ${count(b.moreUsers, "user")} out of sync.</p>`
    : "";
  return `<h2>Users out of sync per OU</h2><table class="breakdown" id="ou-breakdown"><thead>${head}</thead><tbody>${body}</tbody></table>${more}`;
}

function comparisonHtml(c: RunComparison | undefined, max = 20): string {
  if (!c) return "";
  const e = htmlEscape;
  const o = c.outOfSync;
  const rows = c.categories
    .map(
      (l) =>
        `<tr data-category="${l.category}"><td>${l.category}</td><td class="num">${num(l.before)}</td><td class="num">${num(l.after)}</td><td class="num ${l.delta > 0 ? "worse" : l.delta < 0 ? "better" : ""}">${signed(l.delta)}</td></tr>`,
    )
    .join("");
  const list = (id: string, title: string, moves: RunComparison["fixed"]) =>
    moves.length
      ? `<h3>${title}: ${num(moves.length)}${moves.length > max ? ` (first ${max})` : ""}</h3><ul class="notes" id="${id}">${moves
          .slice(0, max)
          .map((m) => `<li>${e(m.userPrincipalName)}: ${m.before ?? "not listed"} → ${m.after ?? "not listed"}</li>`)
          .join("")}</ul>`
      : "";
  return (
    `<h2>Since the previous run</h2><p id="comparison-summary">Compared with ${e(c.previousFile)} (${e(c.previousGeneratedAt)}): ` +
    `${num(o.before)} → ${num(o.after)} out of sync (${signed(o.delta)}).</p>` +
    `<table class="breakdown" id="comparison"><thead><tr><th scope="col">Category</th><th scope="col">Before</th><th scope="col">Now</th><th scope="col">Change</th></tr></thead><tbody>${rows}</tbody></table>` +
    list("newly-out-of-sync", "Newly out of sync", c.newlyOutOfSync) +
    list("no-longer-out-of-sync", "No longer out of sync", c.fixed) +
    list("changed-category", "Out of sync in another category", c.changed) +
    `<p class="muted">“not listed”: in sync in that run, or not in its scope (a report lists InSync users only with includeInSync).</p>`
  );
}

/** The page in chunks: the document around the row blocks, each block rendered when it is reached. */
export function* gapHtmlChunks(result: GapResult, verdict?: Verdict, opts: HtmlOptions = {}): Generator<string> {
  const page = pageAround(result, verdict, opts);
  yield page.head;
  const rows = result.rows;
  for (let i = 0; i < rows.length; i += HTML_BLOCK_ROWS) {
    const part = rows.slice(i, i + HTML_BLOCK_ROWS);
    yield `<script type="application/json" class="gap-rows" data-start="${i}" data-count="${part.length}">${scriptJson(part.map(rowCells))}</script>\n`;
  }
  yield page.tail;
}

/** The page (gapHtmlChunks joined). */
export function gapHtml(result: GapResult, verdict?: Verdict, opts: HtmlOptions = {}): string {
  return [...gapHtmlChunks(result, verdict, opts)].join("");
}

function pageAround(
  result: GapResult,
  verdict: Verdict | undefined,
  opts: HtmlOptions,
): { head: string; tail: string } {
  const impact = impactFigures(result);
  const t = result.totals;
  const e = htmlEscape;
  const authority = verdict?.authority ?? "unknown";
  const verdictHtml = verdict
    ? `<p><span class="verdict ${verdict.status}" id="verdict" data-exit-code="${verdict.exitCode}">${e(verdict.label)}</span> <span id="verdict-reason">${e(verdict.reason)}</span></p>` +
      (verdict.coverage ? `<p id="coverage">Coverage: ${e(verdict.coverage.summary)}</p>` : "") +
      (auditLine(verdict) ? `<p id="audit">Audit evidence: ${e(auditLine(verdict) ?? "")}</p>` : "")
    : "";
  const checksHtml = verdict
    ? `<h2>Checks</h2><table class="checks" id="checks"><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Seen</th><th scope="col">What to do</th></tr></thead><tbody>${verdict.checks
        .map(
          (c) =>
            `<tr data-check="${e(c.id)}"><td>${e(c.name)}</td><td class="status-${c.status}">${c.status === "inconclusive" ? "not judged" : c.status}</td><td>${e(c.summary)}</td><td>${c.fix ? e(c.fix) : ""}${c.link ? ` <a href="${e(c.link)}">Learn</a>` : ""}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : "";
  const steps = CATEGORIES.filter((c) => result.counts[c] > 0)
    .map((c) => [c, nextStep(c, authority)] as const)
    .filter(([, s]) => s)
    .map(
      ([c, s]) =>
        `<li data-category="${c}"><b>${c}</b> (${num(result.counts[c])}): ${e(s?.text ?? "")} <a href="${e(s?.link ?? "")}">Learn</a></li>`,
    )
    .join("");
  const impactLabel =
    authority === "onPremises"
      ? "cloud numbers the next Initial sync overwrites (AD is authoritative)"
      : "cloud numbers AD authority would overwrite";
  const options = CATEGORIES.map((c) => `<option value="${c}">${c} (${num(result.counts[c])})</option>`).join("");
  const notes = [result.otherMobileNote, ...result.notes].map((n) => `<li>${e(n)}</li>`).join("");
  const th = COLUMNS.map((c) => `<th data-key="${c.key}" scope="col">${e(c.label)}</th>`).join("");
  const meta = scriptJson({ colors: CATEGORY_COLORS, columns: COLUMNS, total: result.rows.length });
  const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '${cspHash(STYLE)}'; script-src '${cspHash(SCRIPT)}'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>syncgap — mobile numbers, AD vs Entra ID</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Mobile numbers: on-prem AD vs Entra ID</h1>
<div class="muted">${e(result.tool.name)} ${e(result.tool.version)} · ${e(result.generatedAt)}</div>
${verdictHtml}
</header>
<main>
<div class="cards">
<div class="card"><b id="total-ad">${num(t.adUsers)}</b>AD users</div>
<div class="card"><b id="total-entra">${num(t.entraUsers)}</b>synced Entra ID users</div>
<div class="card"><b>${num(t.matched)}</b>matched</div>
<div class="card"><b id="total-out">${num(t.outOfSync)}</b>out of sync</div>
<div class="card"><b id="total-lost">${num(impact.cloudNumbersLost)}</b>${impactLabel}</div>
</div>
${checksHtml}
<h2>Users per category</h2>
${summaryChartSvg(result.counts)}
<p class="muted">Click a bar to show only that category.</p>
${steps ? `<h2>Next steps</h2><ul class="notes" id="next-steps">${steps}</ul>` : ""}
${comparisonHtml(opts.comparison)}
${ouHtml(result, opts.ouLimit)}
<h2>Inputs</h2>
<ul class="notes">
<li>AD: ${e(result.inputs.ad.description)} — ${count(result.inputs.ad.users, "user")}</li>
<li>Entra ID: ${e(result.inputs.entra.description)} — ${count(result.inputs.entra.users, "user")}</li>
<li>Default region for numbers without a country code: ${e(result.defaultRegion)}</li>
${notes}
</ul>
<h2>Users${result.includeInSync ? "" : " out of sync"}</h2>
<div class="controls">
<label>Category <select id="category-filter"><option value="">All</option>${options}</select></label>
<label>Search <input id="search" type="search" placeholder="user, number…"></label>
<span id="row-count" aria-live="polite"></span>
<button id="prev" type="button">‹ Previous</button><span id="page-info"></span><button id="next" type="button">Next ›</button>
</div>
<table id="gap-table"><thead><tr>${th}</tr></thead><tbody></tbody></table>
<footer>Read in ${(result.timings.totalMs / 1000).toFixed(1)} s. Categories: ${CATEGORIES.map((c) => `${c} — ${e(CATEGORY_DESCRIPTIONS[c])}`).join(" · ")}</footer>
</main>
<script type="application/json" id="gap-meta">${meta}</script>
`;
  const tail = `<script>${SCRIPT}</script>
</body>
</html>
`;
  return { head, tail };
}
