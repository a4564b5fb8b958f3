import { expect } from "vitest";
import type { OwnershipRules } from "../../domain/ownership/schema";
import { ADMIN_TOKEN, call, json } from "./http";

export interface AgencySetup {
  agency: string;
  /** The agency's first key (agency_admin), named "first key". */
  agencyKey: string;
  /** Each merchant's first key (merchant_admin). */
  merchants: Record<string, string>;
}

/** An agency with its merchants, created through the API as an integration would. */
export async function agencyWithMerchants(agency: string, merchantIds: string[]): Promise<AgencySetup> {
  const a = await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id: agency, name: `Agency ${agency}` } });
  expect(a.status).toBe(201);
  const agencyKey = (await json<{ api_key: string }>(a)).api_key;
  const merchants: Record<string, string> = {};
  for (const id of merchantIds) {
    const m = await call("POST", `/v1/agencies/${agency}/merchants`, { token: agencyKey, body: { id, name: `Merchant ${id}`, default_owner: `ops@${id}.example` } });
    expect(m.status).toBe(201);
    merchants[id] = (await json<{ api_key: string }>(m)).api_key;
  }
  return { agency, agencyKey, merchants };
}

export function putTemplate(s: AgencySetup, id: string, rules: OwnershipRules, token = s.agencyKey): Promise<Response> {
  return call("PUT", `/v1/agencies/${s.agency}/rule-templates/${id}`, { token, body: { rules } });
}

export function inherit(tenant: string, token: string, template_id: string, overrides: unknown = {}): Promise<Response> {
  return call("PUT", `/v1/tenants/${tenant}/rule-template`, { token, body: { template_id, overrides } });
}

export async function currentRulesOf(tenant: string, token: string): Promise<{ version: number; rules: OwnershipRules }> {
  const res = await call("GET", `/v1/tenants/${tenant}/ownership`, { token });
  expect(res.status).toBe(200);
  return json<{ version: number; rules: OwnershipRules }>(res);
}
