import fc from "fast-check";

/** Text in the canonical instant's shape (`YYYY-MM-DDTHH:MM:SS.sssZ`), fields in and out of range: what the canonical reader must agree with Date on. */
export const instantShapedText = (() => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
  return fc
    .tuple(fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, "0")), two(19), two(39), two(29), two(69), two(69), fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, "0")))
    .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
})();
