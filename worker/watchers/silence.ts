import { parseDuration } from "../../domain/ownership/duration";
import { DEFAULT_WINDOW_MS, BASELINE_WEEKS, hourKey, MAX_BASELINE_WINDOW_MS, WEEK_MS } from "../../domain/watchers/baseline";
import { judgeSilence, outageRef, recovered, type SilenceVerdict } from "../../domain/watchers/silence";
import { iso } from "../../domain/time";
import { activeFor, campaignWindow, type CampaignVerdict } from "../../domain/watchers/campaign";
import { campaignsFor, watchCampaignSource } from "./campaigns";
import { select, type WatchContext } from "./context";
import { VERIFIED } from "./counters";
import { closeWatcherTask, openWatcherTask } from "./tasks";

interface SourceRow {
  name: string;
  watch: string | null;
  created_at: string;
}

interface CountRow {
  hour: string;
  kind: string;
  n: number;
  last_at: string;
}

/** The window's hours and the same hours in each of the last four weeks, as ranges the counters' key can seek. */
function hourRanges(from: number, to: number): [string, string][] {
  const out: [string, string][] = [];
  for (let k = 0; k <= BASELINE_WEEKS; k++) out.push([hourKey(from - k * WEEK_MS), hourKey(to - k * WEEK_MS)]);
  return out;
}

/** A source's counters over the window and the same hours of the last four weeks: two reads. */
export async function history(w: WatchContext, source: string, windowMs: number) {
  const ranges = hourRanges(w.now - windowMs, w.now);
  // The ranges join the counters' key, so each is one index seek (an OR of ranges makes SQLite read the source's every row).
  const values = ranges.map((_, i) => `(?${3 + 2 * i}, ?${4 + 2 * i})`).join(", ");
  const rows = await select<CountRow>(
    w,
    `WITH r(lo, hi) AS (VALUES ${values})
     SELECT c.hour, c.kind, c.n, c.last_at FROM r JOIN source_counts c ON c.tenant_id = ?1 AND c.source = ?2 AND c.hour BETWEEN r.lo AND r.hi`,
    w.tenant,
    source,
    ...ranges.flat(),
  );
  // Hours sort as text and "*" (the running totals rows kept before) sorts before "0": `hour >= '0'` is every hour row.
  const [first] = await select<{ first: string | null }>(w, `SELECT MIN(hour) AS first FROM source_counts WHERE tenant_id = ?1 AND source = ?2 AND hour >= '0'`, w.tenant, source);
  // The last verified delivery: the newest verified hour row, found by walking the key back from now
  // (past at most the refusal rows of the hours since), instead of a running total written per receipt.
  const [last] = await select<{ last_at: string }>(
    w,
    `SELECT last_at FROM source_counts WHERE tenant_id = ?1 AND source = ?2 AND hour >= '0' AND kind = ?3 ORDER BY hour DESC LIMIT 1`,
    w.tenant,
    source,
    VERIFIED,
  );
  const verified = new Map<string, number>();
  const refused: CountRow[] = [];
  const lastVerifiedAt = last ? Date.parse(last.last_at) : null;
  for (const r of rows) {
    if (r.kind === VERIFIED) verified.set(r.hour, r.n);
    else refused.push(r);
  }
  /** Refusals per code in the hours from `from` (whole hours) to now. */
  const rejectionsSince = (from: number): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of refused) if (r.hour >= hourKey(from) && r.hour <= hourKey(w.now)) out[r.kind] = (out[r.kind] ?? 0) + r.n;
    return out;
  };
  const firstSeenAt = first?.first ? Date.parse(`${first.first}:00:00Z`) : null;
  return { verified, rejections: rejectionsSince(w.now - windowMs), rejectionsSince, firstSeenAt, lastVerifiedAt };
}

function title(source: string, v: SilenceVerdict): string {
  const what = v.reason === "below_baseline" ? `sent ${v.seen} verified deliveries where ${v.expected ?? "?"} were expected` : "sent no verified delivery";
  const why = v.likely_cause === "rotated_secret" ? " — its deliveries fail signature checks: likely a rotated secret" : "";
  return `Sender '${source}' ${what} since ${v.window.from}${why}`;
}

/**
 * Senders that go quiet: for each of the tenant's sources, its counters are
 * judged against its learned baseline and `watch.silence_after` — or, while a
 * campaign expects volume from it, against the campaign (./campaigns.ts); an
 * outage opens one `source_silent` (or `volume_below_expected`) task, and the
 * task resolves itself, recording the recovery, once the sender is back.
 */
export interface SourceWatchResult {
  opened: string[];
  closed: string[];
  shortfalls: { opened: string[]; closed: string[] };
  judged: { source: string; verdict: SilenceVerdict; campaign: CampaignVerdict | null }[];
}

export async function watchSources(w: WatchContext): Promise<SourceWatchResult> {
  const sources = await select<SourceRow>(w, `SELECT name, watch, created_at FROM sources WHERE tenant_id = ?1`, w.tenant);
  const tasks = await select<{ task_id: string; ref: string; type: string }>(
    w,
    `SELECT task_id, ref, type FROM tasks WHERE tenant_id = ?1 AND status IN ('open', 'claimed') AND type IN ('source_silent', 'volume_below_expected')`,
    w.tenant,
  );
  const open = tasks.filter((t) => t.type === "source_silent");
  const shortfalls = tasks.filter((t) => t.type === "volume_below_expected");
  const campaigns = await campaignsFor(w, shortfalls);
  const out: SourceWatchResult = { opened: [], closed: [], shortfalls: { opened: [], closed: [] }, judged: [] };
  const { opened, closed, judged } = out;
  for (const s of sources) {
    const silenceAfter = s.watch ? parseDuration((JSON.parse(s.watch) as { silence_after: string }).silence_after) : null;
    const windowMs = Math.min(silenceAfter ?? DEFAULT_WINDOW_MS, MAX_BASELINE_WINDOW_MS);
    const live = activeFor(campaigns, s.name, w.now);
    const span = live ? campaignWindow(live, live.expected[s.name]?.per_hour ?? 0, w.now).spanMs : 0;
    const h = await history(w, s.name, Math.max(windowMs, span));
    const verdict = judgeSilence({ ...h, rejections: h.rejectionsSince(w.now - windowMs) }, { silenceAfterMs: silenceAfter, configuredAt: Date.parse(s.created_at) }, w.now);
    const mine = open.filter((t) => t.ref.split(":")[1] === s.name);
    let stillOpen = false;
    for (const t of mine) {
      if (!recovered(t.ref, verdict, h.lastVerifiedAt)) {
        stillOpen = true;
        continue;
      }
      const recovery = { at: h.lastVerifiedAt === null ? iso(w.now) : iso(h.lastVerifiedAt), seen_at: iso(w.now), verdict };
      const done = await closeWatcherTask(w, t.task_id, "source_silent", "resolved", `recovered: verified delivery at ${recovery.at}`, { recovery });
      if (done) closed.push(t.task_id);
    }
    const c = await watchCampaignSource(w, s.name, campaigns, shortfalls, h, stillOpen);
    if (c.opened) out.shortfalls.opened.push(c.opened);
    out.shortfalls.closed.push(...c.closed);
    judged.push({ source: s.name, verdict, campaign: c.verdict });
    // While a campaign runs, its signed-off expectation replaces the learned baseline (and silence_after): one judge per source.
    if (!verdict.silent || stillOpen || live) continue;
    const id = await openWatcherTask(w, {
      type: "source_silent",
      step: "routing",
      subject: `source:${s.name}`,
      orderId: null,
      ref: outageRef(s.name, verdict, h.lastVerifiedAt, w.now),
      title: title(s.name, verdict),
      slaMs: silenceAfter ?? DEFAULT_WINDOW_MS,
      evidence: {
        source: { name: s.name, watch: s.watch ? (JSON.parse(s.watch) as unknown) : null, configured_at: s.created_at },
        last_verified_receipt_at: h.lastVerifiedAt === null ? null : iso(h.lastVerifiedAt),
        ...verdict,
      },
    });
    if (id) opened.push(id);
  }
  return out;
}
