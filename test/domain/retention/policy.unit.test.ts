import { describe, expect, it } from "vitest";
import { completePolicy, Day, DEFAULT_POLICY, isoDays, lastExpiredDay, nextDay, RetentionPolicyInput, utcDay } from "../../../domain/retention/policy";

describe("retention windows", () => {
  it("reads ISO-8601 weeks and days, and nothing finer or vaguer", () => {
    expect(isoDays("P30D")).toBe(30);
    expect(isoDays("P8W")).toBe(56);
    expect(isoDays("P1W3D")).toBe(10);
    for (const bad of ["P", "P1M", "P1Y", "PT24H", "P1DT1H", "30", "p30d", "P-1D"]) expect(isoDays(bad)).toBeNull();
  });

  it("fills the defaults for the fields a PUT leaves out", () => {
    expect(completePolicy(RetentionPolicyInput.parse({ audit_days: "P100W" }))).toEqual({ ...DEFAULT_POLICY, audit_days: 700 });
    expect(completePolicy(RetentionPolicyInput.parse({}))).toEqual(DEFAULT_POLICY);
  });

  it("keeps the defaults above their floors", () => {
    expect(RetentionPolicyInput.safeParse(DEFAULT_POLICY).success).toBe(true);
  });
});

describe("which UTC days are expired", () => {
  const now = Date.parse("2026-12-07T09:30:00.000Z");

  it("a day expires once all of it is more than the window old", () => {
    expect(lastExpiredDay(now, 30)).toBe("2026-11-06");
    // A row from the last second of that day is at least 30 whole days old at the start of today.
    expect(Date.parse("2026-12-07T00:00:00Z") - Date.parse("2026-11-06T23:59:59.999Z")).toBeGreaterThan(30 * 86_400_000 - 1000);
    expect(lastExpiredDay(Date.parse("2026-12-07T00:00:00.000Z"), 30)).toBe("2026-11-06");
    expect(lastExpiredDay(Date.parse("2026-12-06T23:59:59.999Z"), 30)).toBe("2026-11-05");
  });

  it("crosses month, year and leap-day boundaries by the calendar", () => {
    expect(nextDay("2028-02-28")).toBe("2028-02-29");
    expect(nextDay("2026-12-31")).toBe("2027-01-01");
    expect(utcDay("2026-03-02T23:59:59.999Z")).toBe("2026-03-02");
  });

  it("accepts only calendar days as a day", () => {
    expect(Day.safeParse("2026-03-02").success).toBe(true);
    for (const bad of ["2026-02-30", "2026-3-2", "yesterday", "2026-03-02T00:00:00Z"]) expect(Day.safeParse(bad).success).toBe(false);
  });
});
