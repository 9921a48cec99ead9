/** The back-fill (docs/backfill.md): plan, apply, undo, and files for admins' own tooling. */
export { applyPlan, planChanges, runGuardedChanges } from "./apply";
export { changeOps, type GuardedChange, inverse } from "./changes";
export { emitFiles, emitTexts, psLine, psLiteral } from "./emit";
export { BackfillError } from "./errors";
export { AdWriter, type AdWriteTarget, delegationAdvice } from "./ldap";
export { changeFile, parseChangeFile } from "./ldif";
export { LOSS_REMEDIES, LOSS_STANDINGS, type LossReview, type LossStanding, reviewLosses } from "./losses";
export { planFromGapResult, rowDigest, runBackfillPlan, tapAdSource } from "./plan";
export { checkPlan, planCsv, planJson, readDecisionsCsv, readPlanJson, writePlanFiles } from "./planFiles";
export * from "./types";
export { readUndoFile, undoFromFile } from "./undo";
export { MOBILE_MAX_LENGTH, mobileProblem } from "./values";
