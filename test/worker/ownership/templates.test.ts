import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { exampleRules } from "../../helpers/ownership";
import { agencyWithMerchants, currentRulesOf, inherit, putTemplate } from "../../helpers/rule-templates";
import { inheritanceOf, putInheritance, writeInheritance } from "../../../worker/ownership/templates";

/**
 * The guards that keep concurrent writers from undoing each other: a template
 * apply that read a merchant's setting before the merchant changed it, or
 * that computed an older template version than one stored meanwhile, writes
 * nothing; and a merchant's own change computed from an older version is refused.
 */
describe("rule template writes are guarded (issue 15)", () => {
  it("an apply holding a stale revision or an older version writes nothing; a current one writes", async () => {
    const s = await agencyWithMerchants("tpg-ag", ["tpg-m1"]);
    const key = s.merchants["tpg-m1"] ?? "";
    expect((await putTemplate(s, "base", exampleRules())).status).toBe(200);
    expect((await inherit("tpg-m1", key, "base")).status).toBe(200);
    const stale = await inheritanceOf(env, "tpg-m1");
    if (!stale) throw new Error("no inheritance row");

    // The merchant changes its overrides after the apply read the row.
    expect((await inherit("tpg-m1", key, "base", { steps: { delivery: { sla: "P7D" } } })).status).toBe(200);
    const changed = exampleRules();
    changed.steps.payment.sla = "P1D";
    expect(await writeInheritance(env, stale, 1, changed)).toEqual({ written: false, rules_version: null });
    expect((await currentRulesOf("tpg-m1", key)).rules.steps).toMatchObject({ payment: { sla: "P4D" }, delivery: { sla: "P7D" } });

    // A newer template version exists: writing version 1's outcome is refused, version 2's is not.
    const v2 = exampleRules();
    v2.steps.routing.sla = "PT45S";
    expect((await putTemplate(s, "base", v2)).status).toBe(200);
    const fresh = await inheritanceOf(env, "tpg-m1");
    if (!fresh) throw new Error("no inheritance row");
    expect(fresh.applied_version).toBe(2);
    expect(await writeInheritance(env, fresh, 1, changed)).toEqual({ written: false, rules_version: null });
    const before = (await currentRulesOf("tpg-m1", key)).version;
    expect(await writeInheritance(env, fresh, 2, changed)).toEqual({ written: true, rules_version: before + 1 });

    // A merchant's own change computed from version 1, or from a row it no longer holds, is refused.
    const link = { tenant: "tpg-m1", agency: "tpg-ag", template_id: "base", overrides: {} };
    expect((await putInheritance(env, link, 1, fresh.revision, null)).written).toBe(false);
    expect((await putInheritance(env, link, 2, fresh.revision + 1, changed)).written).toBe(false);
    expect((await putInheritance(env, link, 2, null, changed)).written).toBe(false);
    expect((await currentRulesOf("tpg-m1", key)).version).toBe(before + 1);
    expect((await putInheritance(env, link, 2, fresh.revision, null)).written).toBe(true);
  });
});
