import type { Env } from "../env";
import { secretFingerprint } from "../../domain/crypto";
import { seal, unseal } from "../lib/sealed";
import { type OwnershipRules, STEPS, StoredOwnershipRules } from "../../domain/ownership/schema";

export interface RulesSnapshot {
  version: number;
  /** consumer.secret holds SEALED ciphertext: unseal with `unseal(secret, env.SECRETS_KEY)` at delivery time. */
  rules: OwnershipRules;
  created_at: string;
  /** Stored while the tenant had a directory (every name checked against it): the QA gate holds exports to it. */
  names_checked: boolean;
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

export interface RulesRow {
  version: number;
  rules: string;
  created_at: string;
  names_checked: number;
}

function snapshot(row: RulesRow): RulesSnapshot {
  // Re-parsed on the way out so a hand-edited or corrupt row fails here, not mid-delivery.
  return { version: row.version, rules: StoredOwnershipRules.parse(JSON.parse(row.rules)), created_at: row.created_at, names_checked: row.names_checked === 1 };
}

/** Seals every consumer secret (AES-GCM under SECRETS_KEY), as stored rules and templates hold them. */
export function sealRules(rules: OwnershipRules, secretsKey: string): Promise<OwnershipRules> {
  return mapSecrets(rules, (s) => seal(s, secretsKey));
}

/**
 * The INSERT of a tenant's next rules version (`sealedJson`: rules already
 * validated and sealed). The version is computed inside the statement, and D1
 * runs one statement at a time, so two concurrent writers get consecutive
 * versions; the primary key backs that up. `guard` (SQL over ?4 and up) must
 * hold for anything to be written: a template apply uses it to write only if
 * nothing newer has happened meanwhile (worker/ownership/templates.ts).
 */
export function rulesInsert(env: Env, tenant: string, sealedJson: string, createdAt: string, guard?: { sql: string; binds: unknown[] }): D1PreparedStatement {
  return env.DB.prepare(
    // names_checked: every writer checks names against the directory whenever the tenant has one, so rules written then were.
    `INSERT INTO ownership_rules (tenant_id, version, rules, created_at, names_checked)
     SELECT ?1, next.v, ?2, ?3,
       EXISTS (SELECT 1 FROM contacts WHERE tenant_id = ?1) OR EXISTS (SELECT 1 FROM rotations WHERE tenant_id = ?1)
     FROM (SELECT COALESCE(MAX(version), 0) + 1 AS v FROM ownership_rules WHERE tenant_id = ?1) AS next
     WHERE ${guard?.sql ?? "1"}
     RETURNING version, rules, created_at, names_checked`,
  ).bind(tenant, sealedJson, createdAt, ...(guard?.binds ?? []));
}

/** What a `rulesInsert` returned (null: its guard did not hold); drops the cached rules it replaces. */
export function insertedRules(tenant: string, row: RulesRow | null | undefined): RulesSnapshot | null {
  if (!row) return null;
  invalidate(tenant);
  return snapshot(row);
}

/** Stores `rules` (already validated) as the tenant's next version. */
export async function putRules(env: Env, tenant: string, rules: OwnershipRules): Promise<RulesSnapshot> {
  const sealed = await sealRules(rules, env.SECRETS_KEY);
  const row = await rulesInsert(env, tenant, JSON.stringify(sealed), new Date().toISOString()).first<RulesRow>();
  const snap = insertedRules(tenant, row);
  if (!snap) throw new Error("ownership_rules insert returned no row");
  return snap;
}

export async function currentRules(env: Env, tenant: string): Promise<RulesSnapshot | null> {
  const hit = cache.get(tenant);
  if (hit && hit.until > Date.now()) return hit.value === null ? null : structuredClone(hit.value);
  const row = await env.DB.prepare(
    "SELECT version, rules, created_at, names_checked FROM ownership_rules WHERE tenant_id = ? ORDER BY version DESC LIMIT 1",
  )
    .bind(tenant)
    .first<RulesRow>();
  const value = row ? snapshot(row) : null;
  cache.set(tenant, { until: Date.now() + CACHE_TTL_MS, value });
  if (cache.size > 10_000) cache.clear();
  // Callers get a copy, so nothing they do can alter what the next caller reads.
  return value === null ? null : structuredClone(value);
}

/** Newest first; `limit` bounds the answer for tenants that edit often. */
export async function rulesHistory(env: Env, tenant: string, limit = 100): Promise<RulesSnapshot[]> {
  const { results } = await env.DB.prepare(
    "SELECT version, rules, created_at, names_checked FROM ownership_rules WHERE tenant_id = ? ORDER BY version DESC LIMIT ?",
  )
    .bind(tenant, limit)
    .all<RulesRow>();
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
