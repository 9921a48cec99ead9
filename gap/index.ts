/**
 * syncgap's mobile-number gap analysis (on-prem AD vs Entra ID), as a library. The `syncgap` CLI and the policy pack
 * use these; see docs/gap-analysis.md.
 */
export { adSourceName, openAdSource, readAdSource } from "./adSources";
export { complete, escapeData, escapeProperty, isAzureDevOps, logIssue, uploadSummary } from "./azdo";
export { declaredBypassFromStack, EXIT, readBypassFlag, readLastSync, waitForSync } from "./check";
export { type Coverage, coverageOf, DEFAULT_COVERAGE } from "./coverage";
export { readEntraJsonFile } from "./entra/jsonExport";
export { GapInputError } from "./errors";
export { impactOf } from "./impact";
export { classifyPair, joinAndClassify } from "./join";
export { PhoneNormalizer } from "./phone";
export { printable } from "./printable";
export { type AdRecord, AdRecords, toAdRecord } from "./records/ad";
export { EntraUsers } from "./records/entra";
export { parseFormats, REPORT_FILES, REPORT_FORMATS, type ReportFormat, writeReports } from "./reports";
export { gapCsv } from "./reports/csv";
export { neutralizeCell } from "./reports/csvSafe";
export { gapHtml } from "./reports/html";
export { gapJson, gapReportDocument } from "./reports/json";
export { gapJunit } from "./reports/junit";
export { gapMarkdown } from "./reports/markdown";
export { type GapProgress, type GapRunOptions, runGapAnalysis } from "./run";
export { DEFAULT_THRESHOLDS, evaluateGate, type GateOutcome, parseCategories, type Thresholds } from "./thresholds";
export * from "./types";
export { couldNotRead, judge, type Verdict } from "./verdict";
