import { describe, expect, it } from "vitest";
import { call, createTenant } from "../../helpers/http";
import { exampleRules } from "../../helpers/ownership";
import { putOwnership } from "../../helpers/ownership-api";

describe("GET …/ownership.csv", () => {
  it("exports the runbook matrix exactly, quoting and neutralising formula cells", async () => {
    const key = await createTenant("own-csv");
    await putOwnership("own-csv");
    const rules = exampleRules();
    rules.steps.fulfillment.owner = "Smith, Jane";
    rules.steps.fulfillment.on_call = '=HYPERLINK("http://evil.example","call")';
    rules.steps.delivery.backup = "+44 20 7946 0000";
    rules.steps.payment.sla = "PT1.5S";
    await putOwnership("own-csv", rules);

    const res = await call("GET", "/v1/tenants/own-csv/ownership.csv", { token: key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="ownership-own-csv-v2.csv"');
    expect(await res.text()).toBe(
      [
        "step,owning_party,owner,backup,on_call,sla,sla_seconds,exception_type,exception_contact,consumer_url,requires_ack,version",
        "payment,merchant,finance@acme.example,ops@acme.example,pagerduty:acme-payments,PT1.5S,1.5,email,finance@acme.example,,,2",
        "routing,agency:fulfillment-team,routing@agency.example,lead@agency.example,pagerduty:agency-oncall,PT30S,30,manual_queue,agency:fulfillment-team,http://127.0.0.1:9/wms/handoff,true,2",
        `fulfillment,3pl:acme,"Smith, Jane",shift-lead@3pl-acme.example,"'=HYPERLINK(""http://evil.example"",""call"")",PT4H,14400,slack,#acme-fulfillment,,,2`,
        "shipping,3pl:acme,shipping@3pl-acme.example,shift-lead@3pl-acme.example,pagerduty:3pl-acme,P1D,86400,manual_queue,3pl:acme,http://127.0.0.1:9/carrier/handoff,false,2",
        "delivery,carrier:fastship,support@fastship.example,'+44 20 7946 0000,cx-lead@acme.example,P5D,432000,pagerduty,acme-delivery,,,2",
        "customer,merchant,cx@acme.example,cx-lead@acme.example,ops@acme.example,PT2H,7200,,,,,2",
        "",
      ].join("\r\n"),
    );
  });
});
