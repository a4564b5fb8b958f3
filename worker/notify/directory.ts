import { and, asc, eq } from "drizzle-orm";
import { secretFingerprint } from "../../domain/crypto";
import { StoredChannel, type Channel, isChannelType, type ChannelView, type Contact, type ContactInput, type DirectoryNames, type NameIssue, type Rotation, type RotationInput, ruleNameIssues } from "../../domain/notify/directory";
import type { OwnershipRules } from "../../domain/ownership/schema";
import { resolveOnCall, type RotationSchedule } from "../../domain/notify/rotation";
import { parseDuration } from "../../domain/ownership/duration";
import { db } from "../db/client";
import { contacts, rotations, type ContactRow, type RotationRow } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { seal, unseal } from "../lib/sealed";
import { invalidateTenantCache } from "../tenancy";

/**
 * The tenant's contacts and rotations in D1. A channel is sealed whole with
 * the same AES-GCM seal as source secrets (a Slack webhook URL or a PagerDuty
 * routing key is a credential, not just its secret field), and what responses
 * show is computed once, at write: keyed fingerprints, never the value.
 */

function host(url: string): string {
  return new URL(url).host;
}

async function channelView(c: Channel, key: string): Promise<ChannelView> {
  switch (c.type) {
    case "slack":
      return { type: "slack", webhook_url: await secretFingerprint(c.webhook_url, key), host: host(c.webhook_url) };
    case "pagerduty":
      return { type: "pagerduty", routing_key: await secretFingerprint(c.routing_key, key), events_url: c.events_url };
    case "email":
      return { type: "email", address: c.address };
    case "webhook":
      return { type: "webhook", url: await secretFingerprint(c.url, key), host: host(c.url), secret: await secretFingerprint(c.secret, key) };
  }
}

function contactView(r: ContactRow): Contact {
  return { contact_id: r.contactId, name: r.name, channels: r.channels.map((c) => c.view as ChannelView), updated_at: r.updatedAt };
}

export function schedule(r: Pick<RotationRow, "members" | "shift" | "startsAt" | "overrides">): RotationSchedule {
  return {
    members: r.members,
    shift_ms: parseDuration(r.shift) ?? 0,
    starts_at_ms: Date.parse(r.startsAt),
    overrides: r.overrides.map((o) => ({ contact_id: o.contact_id, from_ms: Date.parse(o.from), to_ms: Date.parse(o.to) })),
  };
}

function rotationView(r: RotationRow, now: number): Rotation {
  return {
    rotation_id: r.rotationId,
    name: r.name,
    members: r.members,
    shift: r.shift,
    starts_at: r.startsAt,
    overrides: r.overrides,
    updated_at: r.updatedAt,
    on_call_now: resolveOnCall(schedule(r), now).contact_id,
  };
}

async function contactRow(env: Env, tenant: string, id: string): Promise<ContactRow | undefined> {
  return db(env.DB).select().from(contacts).where(and(eq(contacts.tenantId, tenant), eq(contacts.contactId, id))).get();
}

async function rotationRow(env: Env, tenant: string, id: string): Promise<RotationRow | undefined> {
  return db(env.DB).select().from(rotations).where(and(eq(rotations.tenantId, tenant), eq(rotations.rotationId, id))).get();
}

export async function putContact(env: Env, tenant: string, id: string, input: ContactInput): Promise<Contact> {
  if (await rotationRow(env, tenant, id)) throw new ApiError("conflict", `'${id}' is already a rotation; contacts and rotations share one namespace`);
  const channels = await Promise.all(
    input.channels.map(async (c) => ({ type: c.type, sealed: await seal(JSON.stringify(c), env.SECRETS_KEY), view: (await channelView(c, env.SECRETS_KEY)) as Record<string, string> })),
  );
  const updatedAt = new Date().toISOString();
  const row = { tenantId: tenant, contactId: id, name: input.name, channels, updatedAt };
  await db(env.DB)
    .insert(contacts)
    .values(row)
    .onConflictDoUpdate({ target: [contacts.tenantId, contacts.contactId], set: { name: input.name, channels, updatedAt } });
  // The names order objects gate exports against (worker/tenancy.ts tenantDirectory).
  invalidateTenantCache(tenant);
  return contactView(row);
}

export async function getContact(env: Env, tenant: string, id: string): Promise<Contact | null> {
  const r = await contactRow(env, tenant, id);
  return r ? contactView(r) : null;
}

export async function listContacts(env: Env, tenant: string): Promise<Contact[]> {
  const rows = await db(env.DB).select().from(contacts).where(eq(contacts.tenantId, tenant)).orderBy(asc(contacts.contactId)).all();
  return rows.map(contactView);
}

export async function deleteContact(env: Env, tenant: string, id: string): Promise<boolean> {
  const names = await directoryNames(env, tenant);
  const inRotation = (await listRotationRows(env, tenant)).find((r) => r.members.includes(id) || r.overrides.some((o) => o.contact_id === id));
  if (inRotation) throw new ApiError("conflict", `Contact '${id}' is on rotation '${inRotation.rotationId}'; remove it there first`);
  if (!names.contacts.has(id)) return false;
  await db(env.DB).delete(contacts).where(and(eq(contacts.tenantId, tenant), eq(contacts.contactId, id)));
  invalidateTenantCache(tenant);
  return true;
}

async function listRotationRows(env: Env, tenant: string): Promise<RotationRow[]> {
  return db(env.DB).select().from(rotations).where(eq(rotations.tenantId, tenant)).orderBy(asc(rotations.rotationId)).all();
}

export async function putRotation(env: Env, tenant: string, id: string, input: RotationInput, now = Date.now()): Promise<Rotation> {
  if (await contactRow(env, tenant, id)) throw new ApiError("conflict", `'${id}' is already a contact; contacts and rotations share one namespace`);
  const known = (await directoryNames(env, tenant)).contacts;
  const missing = [
    ...input.members.map((m, i) => ({ path: `members.${i}`, name: m })),
    ...input.overrides.map((o, i) => ({ path: `overrides.${i}.contact_id`, name: o.contact_id })),
  ].filter((x) => !known.has(x.name));
  if (missing.length > 0) {
    throw new ApiError(
      "validation_failed",
      `A rotation's members and overrides must be contacts: ${missing.map((m) => `${m.path} '${m.name}'`).join(", ")}`,
      missing.map((m) => ({ path: m.path, message: `'${m.name}' is not a contact` })),
    );
  }
  const updatedAt = new Date().toISOString();
  const row: RotationRow = {
    tenantId: tenant,
    rotationId: id,
    name: input.name ?? id,
    members: input.members,
    shift: input.shift,
    startsAt: new Date(Date.parse(input.starts_at)).toISOString(),
    overrides: input.overrides.map((o) => ({ contact_id: o.contact_id, from: new Date(Date.parse(o.from)).toISOString(), to: new Date(Date.parse(o.to)).toISOString() })),
    updatedAt,
  };
  const { tenantId: _t, rotationId: _r, ...set } = row;
  await db(env.DB).insert(rotations).values(row).onConflictDoUpdate({ target: [rotations.tenantId, rotations.rotationId], set });
  invalidateTenantCache(tenant);
  return rotationView(row, now);
}

export async function getRotation(env: Env, tenant: string, id: string, now = Date.now()): Promise<Rotation | null> {
  const r = await rotationRow(env, tenant, id);
  return r ? rotationView(r, now) : null;
}

export async function listRotations(env: Env, tenant: string, now = Date.now()): Promise<Rotation[]> {
  return (await listRotationRows(env, tenant)).map((r) => rotationView(r, now));
}

export async function deleteRotation(env: Env, tenant: string, id: string): Promise<boolean> {
  const deleted = await db(env.DB)
    .delete(rotations)
    .where(and(eq(rotations.tenantId, tenant), eq(rotations.rotationId, id)))
    .returning({ id: rotations.rotationId });
  invalidateTenantCache(tenant);
  return deleted.length > 0;
}

/** The names ownership rules may use, with each contact's channel types. */
export async function directoryNames(env: Env, tenant: string): Promise<DirectoryNames> {
  const d = db(env.DB);
  const [cs, rs] = await Promise.all([
    d.select({ id: contacts.contactId, channels: contacts.channels }).from(contacts).where(eq(contacts.tenantId, tenant)).all(),
    d.select({ id: rotations.rotationId }).from(rotations).where(eq(rotations.tenantId, tenant)).all(),
  ]);
  return {
    contacts: new Map(cs.map((c) => [c.id, { channels: c.channels.map((x) => x.type).filter(isChannelType) }])),
    rotations: new Set(rs.map((r) => r.id)),
  };
}

/**
 * Every person the rules name must be a contact or a rotation, once the tenant
 * has any: a tenant that has configured none keeps free-text names (the rules
 * written before contacts existed, and their clients, keep working), and its
 * notices are listed as unreachable until it adds them (docs/decisions.md).
 */
export async function unreachableRuleNames(env: Env, tenant: string, rules: Pick<OwnershipRules, "steps">): Promise<NameIssue[]> {
  const names = await directoryNames(env, tenant);
  if (names.contacts.size === 0 && names.rotations.size === 0) return [];
  return ruleNameIssues(rules, names);
}

/** A contact with its channels unsealed: only the notifier, at the moment of sending, holds these. */
export interface ReachableContact {
  contact_id: string;
  name: string;
  channels: Channel[];
}

export type Recipient =
  | { kind: "contact"; contact: ReachableContact; via: null }
  | { kind: "rotation"; contact: ReachableContact; via: string; how: string }
  | { kind: "unknown"; problem: string };

async function reachable(env: Env, row: ContactRow): Promise<ReachableContact> {
  const channels = await Promise.all(row.channels.map(async (c) => StoredChannel.parse(JSON.parse(await unseal(c.sealed, env.SECRETS_KEY)))));
  return { contact_id: row.contactId, name: row.name, channels };
}

/**
 * Who a name reaches at `at`: the contact itself, or the rotation's person on
 * call at that moment (the moment of the escalation, not of sending).
 */
export async function resolveRecipient(env: Env, tenant: string, name: string, at: number): Promise<Recipient> {
  const c = await contactRow(env, tenant, name);
  if (c) return { kind: "contact", contact: await reachable(env, c), via: null };
  const r = await rotationRow(env, tenant, name);
  if (!r) return { kind: "unknown", problem: `'${name}' is neither a contact nor a rotation` };
  const who = resolveOnCall(schedule(r), at);
  if (who.contact_id === null) return { kind: "unknown", problem: `rotation '${name}' has nobody on call` };
  const member = await contactRow(env, tenant, who.contact_id);
  if (!member) return { kind: "unknown", problem: `rotation '${name}' resolved to '${who.contact_id}', which is not a contact` };
  const how = who.via === "override" ? `override #${who.override_index}` : `shift ${who.shift}, member #${who.member_index}`;
  return { kind: "rotation", contact: await reachable(env, member), via: name, how };
}
