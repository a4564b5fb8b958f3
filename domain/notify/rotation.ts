/**
 * Who is on call at a moment: pure, so the escalation that pages records the
 * same person whenever (and however often) its notification is processed.
 *
 * Members take turns of `shift_ms`, counted from `starts_at_ms`; the schedule
 * repeats both ways, so a moment before the start is covered too (the turn
 * before the first one is the last member's). An override covering the moment
 * replaces the turn; when overrides overlap, the one that started last wins
 * (a swap made for one night inside a swap made for the week), and among
 * equal starts the one listed last.
 */

export interface RotationSchedule {
  members: readonly string[];
  shift_ms: number;
  starts_at_ms: number;
  overrides: readonly { contact_id: string; from_ms: number; to_ms: number }[];
}

export type OnCall =
  | { contact_id: string; via: "override"; override_index: number }
  | { contact_id: string; via: "shift"; shift: number; member_index: number }
  | { contact_id: null; via: "empty" };

export function resolveOnCall(r: RotationSchedule, at: number): OnCall {
  let best: { i: number; contact_id: string; from: number } | null = null;
  for (let i = 0; i < r.overrides.length; i++) {
    const o = r.overrides[i];
    if (o && o.from_ms <= at && at < o.to_ms && (best === null || o.from_ms >= best.from)) best = { i, contact_id: o.contact_id, from: o.from_ms };
  }
  if (best !== null) return { contact_id: best.contact_id, via: "override", override_index: best.i };
  const n = r.members.length;
  if (n === 0 || !(r.shift_ms > 0)) return { contact_id: null, via: "empty" };
  const shift = Math.floor((at - r.starts_at_ms) / r.shift_ms);
  const index = ((shift % n) + n) % n;
  const member = r.members[index];
  return member === undefined ? { contact_id: null, via: "empty" } : { contact_id: member, via: "shift", shift, member_index: index };
}
