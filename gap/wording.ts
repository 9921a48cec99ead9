/** Numbers and plurals as people read them in every report and message: `1 user`, `12,345 users`. */

const NUMBER = new Intl.NumberFormat("en-US");

/** 12345 → "12,345". */
export function num(n: number): string {
  return NUMBER.format(n);
}

/** 1 → "1 user", 2 → "2 users", 12345 → "12,345 users"; `many` for irregular plurals. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/** 0.8123 → "81%"; a share that rounds to 0 % or 100 % without being it says "<1%" / ">99%". */
export function percent(share: number): string {
  if (!Number.isFinite(share)) return "—";
  const p = share * 100;
  if (p > 0 && p < 1) return "<1%";
  if (p < 100 && p > 99) return ">99%";
  return `${Math.round(p)}%`;
}
