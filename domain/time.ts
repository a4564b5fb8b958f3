let lastMs = Number.NaN;
let lastIso = "";

/** Epoch milliseconds as the ISO-8601 UTC text every record and document carries. */
export function iso(ms: number): string {
  // One decision stamps its `now` on many records: format each instant once in a row.
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

