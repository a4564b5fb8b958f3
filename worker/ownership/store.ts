import type { Env } from "../env";
import { secretFingerprint } from "../../domain/crypto";
import { seal, unseal } from "../lib/sealed";
import { type OwnershipRules, STEPS, StoredOwnershipRules } from "../../domain/ownership/schema";

export interface RulesSnapshot {
  version: number;
  /** consumer.secret holds SEALED ciphertext: unseal with `unseal(secret, env.SECRETS_KEY)` at delivery time. */
  rules: OwnershipRules;
  created_at: string;
}

/**
 * The order object reads the current rules for every decision, so they are
 * cached per isolate like tenant config (worker/tenancy.ts): a new version
 * reaches every isolate within CACHE_TTL_MS, and the isolate that wrote it
 * immediately. Snapshots carry their version, so a decision always names the
 * rules it actually used.
 */
const CACHE_TTL_MS = 30_000;
const cache = new Map<string, { until: number; value: RulesSnapshot | null }>();

function invalidate(tenant: string): void {
  cache.delete(tenant);
}

/** Applies `fn` to every consumer secret, returning a copy; the input is never mutated. */
async function mapSecrets(rules: OwnershipRules, fn: (secret: string) => Promise<string>): Promise<OwnershipRules> {
  const out = structuredClone(rules);
  // The optional backorder step (issue 17) hands off too: its secret is sealed and redacted like the others'.
  for (const rule of [...STEPS.map((step) => out.steps[step]), out.steps.backorder]) {
    const consumer = rule?.consumer;
    if (consumer) consumer.secret = await fn(consumer.secret);
  }
  return out;
}

interface Row {
  version: number;
  rules: string;
  created_at: string;
}

function snapshot(row: Row): RulesSnapshot {
  // Re-parsed on the way out so a hand-edited or corrupt row fails here, not mid-delivery.
  return { version: row.version, rules: StoredOwnershipRules.parse(JSON.parse(row.rules)), created_at: row.created_at };
}

/**
 * Stores `rules` (already validated) as the tenant's next version. The version is
 * computed inside the INSERT, and D1 runs one statement at a time, so two
 * concurrent PUTs get consecutive versions; the primary key backs that up.
 */
export async function putRules(env: Env, tenant: string, rules: OwnershipRules): Promise<RulesSnapshot> {
  const sealed = await mapSecrets(rules, (s) => seal(s, env.SECRETS_KEY));
  const createdAt = new Date().toISOString();
  const row = await env.DB.prepare(
    `INSERT INTO ownership_rules (tenant_id, version, rules, created_at)
     SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3 FROM ownership_rules WHERE tenant_id = ?1
     RETURNING version, rules, created_at`,
  )
    .bind(tenant, JSON.stringify(sealed), createdAt)
    .first<Row>();
  if (!row) throw new Error("ownership_rules insert returned no row");
  invalidate(tenant);
  return snapshot(row);
}

export async function currentRules(env: Env, tenant: string): Promise<RulesSnapshot | null> {
  const hit = cache.get(tenant);
  if (hit && hit.until > Date.now()) return hit.value === null ? null : structuredClone(hit.value);
  const row = await env.DB.prepare(
    "SELECT version, rules, created_at FROM ownership_rules WHERE tenant_id = ? ORDER BY version DESC LIMIT 1",
  )
    .bind(tenant)
    .first<Row>();
  const value = row ? snapshot(row) : null;
  cache.set(tenant, { until: Date.now() + CACHE_TTL_MS, value });
  if (cache.size > 10_000) cache.clear();
  // Callers get a copy, so nothing they do can alter what the next caller reads.
  return value === null ? null : structuredClone(value);
}

/** Newest first; `limit` bounds the answer for tenants that edit often. */
export async function rulesHistory(env: Env, tenant: string, limit = 100): Promise<RulesSnapshot[]> {
  const { results } = await env.DB.prepare(
    "SELECT version, rules, created_at FROM ownership_rules WHERE tenant_id = ? ORDER BY version DESC LIMIT ?",
  )
    .bind(tenant, limit)
    .all<Row>();
  return results.map(snapshot);
}

/** Plaintext consumer secrets, for the one place that signs deliveries (and for showing a hint). */
export function unsealRules(rules: OwnershipRules, secretsKey: string): Promise<OwnershipRules> {
  return mapSecrets(rules, (s) => unseal(s, secretsKey));
}

/** Shown instead of a secret that cannot be unsealed (sealed under a retired SECRETS_KEY). */
export const UNREADABLE_SECRET = "sha256:unavailable";

/**
 * Replaces every consumer secret with its keyed fingerprint (`sha256:` + 8
 * hex, see secretFingerprint): enough for an operator to tell which secret is
 * configured and whether two are the same, none of its characters.
 */
export async function redactForDisplay(rules: OwnershipRules, secretsKey: string): Promise<OwnershipRules> {
  let plain: OwnershipRules | null;
  try {
    plain = await unsealRules(rules, secretsKey);
  } catch {
    plain = null;
  }
  return mapSecrets(plain ?? rules, (s) => (plain ? secretFingerprint(s, secretsKey) : Promise.resolve(UNREADABLE_SECRET)));
}
