/** What the middlewares read from the SDK's request context, and how their messages spell durations. */
import type { Context } from "@microsoft/microsoft-graph-client";

export function requestUrl(ctx: Context): string {
  return typeof ctx.request === "string" ? ctx.request : (ctx.request as Request).url;
}

export function method(ctx: Context): string {
  return ctx.options?.method ?? "GET";
}

/** Seconds for messages: `100 s`, `0.25 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms) / 1000} s`;
}

export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
