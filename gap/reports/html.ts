/**
 * HTML report: one self-contained file (no CDN, no network: a Content-Security-Policy forbids any fetch), with a
 * summary chart (inline SVG generated here), the inputs, and a table that sorts by any column, filters by category
 * and by text, and pages through large results. The rows travel as JSON inside the page and are put into the table
 * with textContent only, so directory data can never become markup or script.
 */
import { createHash } from "node:crypto";
import { nextStep } from "../advice";
import { impactOf } from "../impact";
import { CATEGORIES, CATEGORY_DESCRIPTIONS, type Category, type GapResult } from "../types";
import type { Verdict } from "../verdict";
import { count, num } from "../wording";
import { auditLine } from "./markdown";

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
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
`;

const SCRIPT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gap-data").textContent);
  var colors = data.colors;
  var rows = data.rows;
  var columns = data.columns;
  var state = { category: "", text: "", key: null, dir: 1, page: 0, pageSize: 200 };
  var tbody = document.querySelector("#gap-table tbody");
  var count = document.getElementById("row-count");
  var pageInfo = document.getElementById("page-info");
  var select = document.getElementById("category-filter");
  var search = document.getElementById("search");
  function cell(r, key) { var v = r[key]; return v === null || v === undefined ? "" : Array.isArray(v) ? v.join("; ") : String(v); }
  function filtered() {
    var t = state.text.toLowerCase();
    var out = rows.filter(function (r) {
      if (state.category && r.category !== state.category) return false;
      if (!t) return true;
      for (var i = 0; i < columns.length; i++) if (cell(r, columns[i].key).toLowerCase().indexOf(t) !== -1) return true;
      return false;
    });
    if (state.key) {
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
    var list = filtered();
    var pages = Math.max(1, Math.ceil(list.length / state.pageSize));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * state.pageSize;
    var frag = document.createDocumentFragment();
    list.slice(start, start + state.pageSize).forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-category", r.category);
      columns.forEach(function (c) {
        var td = document.createElement("td");
        if (c.key === "category") {
          var s = document.createElement("span");
          s.className = "pill"; s.style.background = colors[r.category]; s.textContent = r.category;
          td.appendChild(s);
        } else { td.textContent = cell(r, c.key); if (c.num) td.className = "num"; }
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
    count.textContent = list.length + " of " + rows.length + " users";
    count.setAttribute("data-count", String(list.length));
    pageInfo.textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
  }
  document.querySelectorAll("#gap-table th").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      if (state.key === key) state.dir = -state.dir; else { state.key = key; state.dir = 1; }
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
];

/** CSP source for an inline block: only this exact script and style may run (no 'unsafe-inline'). */
function cspHash(text: string): string {
  return `sha256-${createHash("sha256").update(text, "utf8").digest("base64")}`;
}

/** The page's data block (columns and rows), escaped for a <script> element: it depends on the rows alone. */
export function htmlRowsData(rows: GapResult["rows"]): string {
  return scriptJson({
    colors: CATEGORY_COLORS,
    columns: COLUMNS,
    rows: rows.map((r) => ({
      userPrincipalName: r.userPrincipalName,
      category: r.category,
      adMobile: r.adMobile,
      entraMobile: r.entraMobile,
      adOtherMobile: r.adOtherMobile,
      matchedBy: r.matchedBy,
      adMobileE164: r.adMobileE164,
      entraMobileE164: r.entraMobileE164,
      displayName: r.displayName,
    })),
  });
}

/** The page. `rowsData` (htmlRowsData of the same rows) takes the place of rendering them again. */
export function gapHtml(result: GapResult, verdict?: Verdict, rowsData?: string): string {
  const impact = impactOf(result);
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
  return `<!DOCTYPE html>
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
<script type="application/json" id="gap-data">${rowsData ?? htmlRowsData(result.rows)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
