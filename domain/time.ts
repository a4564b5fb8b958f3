/** Epoch milliseconds as the ISO-8601 UTC text every record and document carries. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
