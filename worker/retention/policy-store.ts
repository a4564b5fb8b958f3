import { eq } from "drizzle-orm";
import { DEFAULT_POLICY, RetentionPolicy } from "../../domain/retention/policy";
import { db } from "../db/client";
import { retentionPolicies } from "../db/schema";
import type { Env } from "../env";

export interface StoredPolicy {
  policy: RetentionPolicy;
  /** Null while the tenant runs on the defaults. */
  updated_at: string | null;
}

export async function policyFor(env: Env, tenant: string): Promise<StoredPolicy> {
  const row = await db(env.DB).select().from(retentionPolicies).where(eq(retentionPolicies.tenantId, tenant)).get();
  if (!row) return { policy: { ...DEFAULT_POLICY }, updated_at: null };
  return { policy: RetentionPolicy.parse(JSON.parse(row.policy)), updated_at: row.updatedAt };
}

export async function putPolicy(env: Env, tenant: string, policy: RetentionPolicy, now = Date.now()): Promise<StoredPolicy> {
  const updatedAt = new Date(now).toISOString();
  const text = JSON.stringify(policy);
  await db(env.DB)
    .insert(retentionPolicies)
    .values({ tenantId: tenant, policy: text, updatedAt })
    .onConflictDoUpdate({ target: retentionPolicies.tenantId, set: { policy: text, updatedAt } });
  return { policy, updated_at: updatedAt };
}
