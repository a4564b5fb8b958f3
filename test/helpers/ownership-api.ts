import { expect } from "vitest";
import type { OwnershipRules, OwnershipRulesInput } from "../../domain/ownership/schema";
import { ADMIN_TOKEN, call, json } from "./http";
import { exampleRules } from "./ownership";

export interface RulesVersionBody {
  version: number;
  rules: OwnershipRules;
  created_at: string;
}

/** PUTs a rule set (the example one by default) as admin and returns the stored version. */
export async function putOwnership(tenant: string, rules: OwnershipRulesInput = exampleRules()): Promise<RulesVersionBody> {
  const res = await call("PUT", `/v1/tenants/${tenant}/ownership`, { token: ADMIN_TOKEN, body: rules });
  expect(res.status).toBe(200);
  return json<RulesVersionBody>(res);
}
