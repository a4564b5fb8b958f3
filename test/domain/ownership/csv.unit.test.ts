import { describe, expect, it } from "vitest";
import { CSV_HEADER, csvCell, rulesCsv } from "../../../domain/ownership/csv";
import { exampleRules } from "../../helpers/ownership";

describe("csvCell", () => {
  it.each([
    ["plain", "plain"],
    ["Smith, Jane", '"Smith, Jane"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rhere", '"cr\rhere"'],
    ["=1+1", "'=1+1"],
    ["+44 20 7946 0000", "'+44 20 7946 0000"],
    ["-5", "'-5"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tx", "'\tx"],
    ['=HYPERLINK("http://evil.example","x")', '"\'=HYPERLINK(""http://evil.example"",""x"")"'],
    ["a=b", "a=b"],
    ["", ""],
  ])("%j → %j", (input, out) => {
    expect(csvCell(input)).toBe(out);
  });

  it("writes numbers, booleans and absent values plainly", () => {
    expect([csvCell(1.5), csvCell(true), csvCell(false), csvCell(undefined), csvCell(null)]).toEqual(["1.5", "true", "false", "", ""]);
  });
});

describe("rulesCsv", () => {
  it("writes one row per step in workflow order, CRLF-terminated", () => {
    const csv = rulesCsv(exampleRules(), 3);
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe(CSV_HEADER.join(","));
    expect(lines.slice(1, -1).map((l) => l.split(",")[0])).toEqual(["payment", "routing", "fulfillment", "shipping", "delivery", "customer"]);
    expect(lines.at(-1)).toBe("");
    expect(lines[2]).toBe(
      "routing,agency:fulfillment-team,routing@agency.example,lead@agency.example,pagerduty:agency-oncall,PT30S,30,manual_queue,agency:fulfillment-team,http://127.0.0.1:9/wms/handoff,true,3",
    );
    expect(lines[6]).toBe("customer,merchant,cx@acme.example,cx-lead@acme.example,ops@acme.example,PT2H,7200,,,,,3");
  });

  it("never writes a consumer secret", () => {
    expect(rulesCsv(exampleRules(), 1)).not.toMatch(/whsec_/);
  });
});
