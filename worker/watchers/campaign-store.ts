import { and, asc, desc, eq, gt, isNull, lt } from "drizzle-orm";
import type { Actor } from "../../domain/access/scopes";
import { normalized, overlap, sameCampaign, type Campaign, type CampaignInput } from "../../domain/watchers/campaign";
import { iso } from "../../domain/time";
import { recordAdmin } from "../admin-audit";
import { db } from "../db/client";
import { campaigns, sources, tenants, type CampaignRow } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { appendDecisions } from "./chain";

export type CampaignStatus = "scheduled" | "running" | "ended" | "cancelled";

export interface CampaignView extends Campaign {
  status: CampaignStatus;
  created_by: string;
  created_at: string;
  cancelled_by: string | null;
  cancel_reason: string | null;
}

function statusOf(r: CampaignRow, now: number): CampaignStatus {
  if (r.cancelledAt !== null) return "cancelled";
  if (now < Date.parse(r.startsAt)) return "scheduled";
  return now < Date.parse(r.endsAt) ? "running" : "ended";
}

function view(r: CampaignRow, now: number): CampaignView {
  return {
    id: r.id,
    name: r.name,
    starts_at: r.startsAt,
    ends_at: r.endsAt,
    expected: r.expected,
    signed_off_by: r.signedOffBy,
    status: statusOf(r, now),
    created_by: r.createdBy,
    created_at: r.createdAt,
    cancelled_at: r.cancelledAt,
    cancelled_by: r.cancelledBy,
    cancel_reason: r.cancelReason,
  };
}

const asInput = (c: CampaignView): CampaignInput => ({ id: c.id, name: c.name, starts_at: c.starts_at, ends_at: c.ends_at, expected: c.expected, signed_off_by: c.signed_off_by });

async function row(env: Env, tenant: string, id: string): Promise<CampaignRow | undefined> {
  return db(env.DB).select().from(campaigns).where(and(eq(campaigns.tenantId, tenant), eq(campaigns.id, id))).get();
}

export async function getCampaign(env: Env, tenant: string, id: string, now = Date.now()): Promise<CampaignView> {
  const r = await row(env, tenant, id);
  if (!r) throw new ApiError("not_found", `No campaign '${id}'`);
  return view(r, now);
}

export async function listCampaigns(env: Env, tenant: string, now = Date.now()): Promise<CampaignView[]> {
  const t = await db(env.DB).select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get();
  if (!t) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
  const rows = await db(env.DB).select().from(campaigns).where(eq(campaigns.tenantId, tenant)).orderBy(desc(campaigns.startsAt), asc(campaigns.id)).limit(500).all();
  return rows.map((r) => view(r, now));
}

/**
 * Signs off a campaign. Idempotent on its id: the same body again answers
 * the stored campaign (created: false); a different body under that id is a
 * 409. Refused (400) when a source is not one of the tenant's or the campaign
 * is already over; 409 `campaign_overlap` when a live campaign already expects
 * one of its sources in an overlapping window.
 */
export async function createCampaign(env: Env, tenant: string, input: CampaignInput, actor: Actor, now = Date.now()): Promise<{ campaign: CampaignView; created: boolean }> {
  const c = normalized(input);
  const d = db(env.DB);
  const t = await d.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get();
  if (!t) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
  const existing = await row(env, tenant, c.id);
  if (existing) return { campaign: same(view(existing, now), c), created: false };
  if (Date.parse(c.ends_at) <= now) throw new ApiError("validation_failed", "This campaign is already over: a pre-flight is for a campaign that has not ended", [{ path: "ends_at", message: "ends_at is in the past" }]);
  const known = new Set((await d.select({ name: sources.name }).from(sources).where(eq(sources.tenantId, tenant)).all()).map((s) => s.name));
  const unknown = Object.keys(c.expected).filter((s) => !known.has(s));
  if (unknown.length > 0) {
    throw new ApiError("validation_failed", `Unknown source${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (configure it with PUT /v1/tenants/${tenant}/sources/:source first)`, unknown.map((s) => ({ path: `expected.${s}`, message: "not a source of this tenant" })));
  }
  const others = await d
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.tenantId, tenant), isNull(campaigns.cancelledAt), gt(campaigns.endsAt, c.starts_at), lt(campaigns.startsAt, c.ends_at)))
    .all();
  const clash = overlap(others.map((r) => view(r, now)), c);
  if (clash) {
    throw new ApiError("campaign_overlap", `Campaign '${clash.campaign}' already expects volume from '${clash.source}' in an overlapping window; cancel it or change the dates`, clash);
  }
  const at = iso(now);
  const inserted = await d
    .insert(campaigns)
    .values({ tenantId: tenant, id: c.id, name: c.name, startsAt: c.starts_at, endsAt: c.ends_at, expected: c.expected, signedOffBy: c.signed_off_by, createdBy: actor.name, createdAt: at })
    .onConflictDoNothing()
    .returning();
  const stored = inserted[0] ?? (await row(env, tenant, c.id));
  if (!stored) throw new Error(`campaign ${tenant}/${c.id} was neither inserted nor found`);
  // Lost a race with the same id: answer like a repeat.
  if (inserted.length === 0) return { campaign: same(view(stored, now), c), created: false };
  const details = { campaign: c.id, name: c.name, starts_at: c.starts_at, ends_at: c.ends_at, expected: c.expected, signed_off_by: c.signed_off_by };
  await recordAdmin(env, tenant, actor, "campaign.created", details);
  await appendDecisions(env, tenant, [{ type: "campaign.created", at, data: { ...details, actor: actor.name, via: actor.via } }]);
  return { campaign: view(stored, now), created: true };
}

function same(stored: CampaignView, c: CampaignInput): CampaignView {
  if (!sameCampaign(asInput(stored), c)) throw new ApiError("conflict", `Campaign '${c.id}' already exists with a different body`, { stored: asInput(stored) });
  return stored;
}

/**
 * Cancels a campaign: its expectation stops applying at once, and the next
 * watcher run closes its open shortfall tasks. Cancelling a cancelled
 * campaign answers it as it is; an ended one cannot be cancelled (409).
 */
export async function cancelCampaign(env: Env, tenant: string, id: string, reason: string | null, actor: Actor, now = Date.now()): Promise<CampaignView> {
  const r = await row(env, tenant, id);
  if (!r) throw new ApiError("not_found", `No campaign '${id}'`);
  if (r.cancelledAt !== null) return view(r, now);
  if (now >= Date.parse(r.endsAt)) throw new ApiError("conflict", `Campaign '${id}' already ended at ${r.endsAt}`);
  const at = iso(now);
  const [done] = await db(env.DB)
    .update(campaigns)
    .set({ cancelledAt: at, cancelledBy: actor.name, cancelReason: reason })
    .where(and(eq(campaigns.tenantId, tenant), eq(campaigns.id, id), isNull(campaigns.cancelledAt)))
    .returning();
  if (!done) return getCampaign(env, tenant, id, now);
  const details = { campaign: id, name: r.name, reason, signed_off_by: r.signedOffBy };
  await recordAdmin(env, tenant, actor, "campaign.cancelled", details);
  await appendDecisions(env, tenant, [{ type: "campaign.cancelled", at, data: { ...details, actor: actor.name, via: actor.via } }]);
  return view(done, now);
}
