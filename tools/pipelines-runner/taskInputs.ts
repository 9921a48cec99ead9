/**
 * How a task emulation reads its inputs: by the task's own input names (case-insensitive) and aliases, with the
 * required ones checked. An input the emulation does not know is an error, never ignored, so a pipeline cannot rely
 * on something the local run silently skipped; the step fails with a TaskInputError.
 */
import path from "node:path";

export class TaskInputError extends Error {
  override name = "TaskInputError";
}

export interface InputSpec {
  names: string[];
  /** alias → input name */
  aliases?: Record<string, string>;
  required?: string[];
}

export function readInputs(task: string, raw: Record<string, string>, spec: InputSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = spec.aliases?.[k] ?? spec.names.find((n) => n.toLowerCase() === k.toLowerCase());
    if (!name) throw new TaskInputError(`${task}: the local runner does not know the input "${k}"`);
    out[name] = v;
  }
  for (const r of spec.required ?? []) {
    if (!out[r]) throw new TaskInputError(`${task}: input "${r}" is required`);
  }
  return out;
}

export const bool = (v: string | undefined, dflt = false) => (v === undefined || v === "" ? dflt : /^true$/i.test(v));

export function resolveIn(base: string, p: string): string {
  return path.isAbsolute(p) ? p : path.join(base, p);
}
