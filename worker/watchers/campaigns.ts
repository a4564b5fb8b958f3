import { activeFor, campaignWindow, judgeCampaign, parseShortfallRef, shortfallEnd, shortfallRef, type Campaign, type CampaignVerdict } from "../../domain/watchers/campaign";
import { HOUR_MS } from "../../domain/watchers/baseline";
import { iso } from "../../domain/time";
import { select, type WatchContext } from "./context";
import { closeWatcherTask, openWatcherTask } from "./tasks";

interface CampaignDbRow {
  id: string;
  name: string;
  starts_at: string;
  ends_at: string;
  expected: string;
  signed_off_by: string;
  cancelled_at: string | null;
}

export function campaignOf(r: CampaignDbRow): Campaign {
  return { ...r, expected: JSON.parse(r.expected) as Campaign["expected"] };
}

export interface OpenShortfall {
  task_id: string;
  ref: string;
}

/**
 * The campaigns a run needs: those live now (the index on ends_at seeks
 * them), and those an open shortfall task names, so a task outlives neither
 * its campaign's end nor its cancellation. One read.
 */
export async function campaignsFor(w: WatchContext, open: readonly OpenShortfall[]): Promise<Campaign[]> {
  const named = [...new Set(open.flatMap((t) => parseShortfallRef(t.ref)?.campaign ?? []))];
  const rows = await select<CampaignDbRow>(
    w,
    `SELECT id, name, starts_at, ends_at, expected, signed_off_by, cancelled_at FROM campaigns
      WHERE tenant_id = ?1 AND ((ends_at > ?2 AND starts_at <= ?2 AND cancelled_at IS NULL) OR id IN (SELECT value FROM json_each(?3)))`,
    w.tenant,
    iso(w.now),
    JSON.stringify(named),
  );
  return rows.map(campaignOf);
}

function title(v: CampaignVerdict): string {
  return `Campaign '${v.campaign.name}': sender '${v.source}' sent ${v.seen} verified deliveries where ${v.expected} were expected (signed off by ${v.campaign.signed_off_by})`;
}

const RESOLUTION = {
  recovered: (v: CampaignVerdict | null) => `recovered: ${v?.seen ?? "?"} verified deliveries in the window where ${v?.expected ?? "?"} were expected`,
  campaign_ended: () => "the campaign ended: its expectation no longer applies",
  campaign_cancelled: () => "the campaign was cancelled: its expectation no longer applies",
};

/**
 * One source under its campaign (or whose shortfall task is still open): the
 * campaign's expectation replaces the learned baseline; a shortfall opens one
 * `volume_below_expected` task per campaign, source and outage, unless the
 * outage already has its `source_silent` task; an open shortfall closes when
 * the volume is back or the campaign is over, recording which.
 */
export async function watchCampaignSource(
  w: WatchContext,
  source: string,
  campaigns: readonly Campaign[],
  open: readonly OpenShortfall[],
  counts: { verified: ReadonlyMap<string, number>; rejectionsSince: (from: number) => Record<string, number> },
  silentTaskOpen: boolean,
): Promise<{ opened: string | null; closed: string[]; verdict: CampaignVerdict | null }> {
  const live = activeFor(campaigns, source, w.now);
  const verdict = live ? judgeCampaign(live, source, counts.verified, counts.rejectionsSince(campaignWindow(live, live.expected[source]?.per_hour ?? 0, w.now).from), w.now) : null;
  const closed: string[] = [];
  let stillOpen = false;
  for (const t of open) {
    const named = parseShortfallRef(t.ref);
    if (named?.source !== source) continue;
    const c = campaigns.find((x) => x.id === named.campaign) ?? null;
    const end = shortfallEnd(c, c !== null && c.id === live?.id ? verdict : null, w.now);
    if (end === null) {
      stillOpen = true;
      continue;
    }
    const recovery = { reason: end, seen_at: iso(w.now), verdict: end === "recovered" ? verdict : null };
    if (await closeWatcherTask(w, t.task_id, "volume_below_expected", "resolved", RESOLUTION[end](verdict), { recovery })) closed.push(t.task_id);
  }
  if (!live || !verdict?.below || stillOpen || silentTaskOpen) return { opened: null, closed, verdict };
  const opened = await openWatcherTask(w, {
    type: "volume_below_expected",
    step: "routing",
    subject: `source:${source}`,
    orderId: null,
    ref: shortfallRef(live.id, source, w.now),
    title: title(verdict),
    slaMs: HOUR_MS,
    evidence: { ...verdict },
  });
  return { opened, closed, verdict };
}
