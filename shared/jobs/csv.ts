/** One CSV field: quoted when it holds a quote, comma or line break. */
export function csvField(s: string | number): string {
  const t = String(s);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}
