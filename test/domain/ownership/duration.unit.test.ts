import { describe, expect, it } from "vitest";
import { durationProblem, MAX_DURATION_MS, parseDuration } from "../../../domain/ownership/duration";

describe("parseDuration", () => {
  it.each([
    ["PT5S", 5_000],
    ["PT1S", 1_000],
    ["PT0.5S", 500],
    ["PT1.25S", 1_250],
    ["PT2,5S", 2_500],
    ["PT0.001S", 1],
    ["PT30M", 1_800_000],
    ["PT4H", 14_400_000],
    ["PT1H30M", 5_400_000],
    ["PT1H0M1S", 3_601_000],
    ["P2D", 172_800_000],
    ["P1W", 604_800_000],
    ["P1W2D", 777_600_000],
    ["P1DT12H", 129_600_000],
    ["P366D", MAX_DURATION_MS],
  ])("%s → %d ms", (iso, ms) => {
    expect(parseDuration(iso)).toBe(ms);
    expect(durationProblem(iso)).toBeNull();
  });

  it.each([
    ["P1Y", /years.*no fixed length/],
    ["P1Y2D", /years/],
    ["P1M", /months.*no fixed length/],
    ["P2M3DT4H", /months/],
    ["PT0S", /zero/],
    ["P0D", /zero/],
    ["P0W", /zero/],
    ["P367D", /maximum/],
    ["P99999999999999999999W", /maximum/],
    ["", /empty/],
    ["P", /not an ISO-8601 duration/],
    ["PT", /not an ISO-8601 duration/],
    ["P1DT", /not an ISO-8601 duration/],
    ["5s", /not an ISO-8601 duration/],
    ["pt5s", /not an ISO-8601 duration/],
    ["-PT5S", /not an ISO-8601 duration/],
    ["PT1.5H", /not an ISO-8601 duration/],
    ["PT0.0001S", /not an ISO-8601 duration/],
    ["PT5S ", /not an ISO-8601 duration/],
    ["P1D1W", /not an ISO-8601 duration/],
    ["PT1S1M", /not an ISO-8601 duration/],
    ["2024-01-01", /not an ISO-8601 duration/],
  ])("refuses %j", (iso, why) => {
    expect(parseDuration(iso)).toBeNull();
    expect(durationProblem(iso)).toMatch(why);
  });
});
