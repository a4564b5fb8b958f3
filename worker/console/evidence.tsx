import type { FC } from "hono/jsx";
import { z } from "zod";
import { Badge, Card, DataLine, Empty, Kv, StateBadge, StatusBadge, When } from "./components";
import { brief, humanize, levelName, milestonesInOrder, moneyOf, stamp } from "./format";

/**
 * A task's evidence, rendered for a person. The shapes are what the order
 * object and the rejection path record; each is parsed leniently, and anything
 * unrecognised still shows, as escaped JSON, rather than disappearing.
 */

const Str = z.string().catch("");
const NStr = z.string().nullable().catch(null);
const Money = z.object({ amount_minor: z.number(), currency: z.string() }).nullable().catch(null);

const OrderEv = z.object({ state: Str, value: Money, milestones: z.record(z.string(), z.string()).catch({}) });
const HoldEv = z.object({ reason: Str, event_id: Str, detail: Str });
const ConflictEv = z.object({ field: Str, locked_value: z.unknown(), attempted_value: z.unknown(), event_id: Str, occurred_at: Str });
const ReceiptEv = z.object({ id: Str, source: Str, events: z.array(z.string()).catch([]), received_at: Str, raw_sha256: Str });
const AttemptEv = z.object({ n: z.number().catch(0), at: Str, status: z.number().nullable().catch(null), error_class: NStr, outcome: Str });
const ExportEv = z.object({ export_id: Str, status: Str, consumer_url: NStr, attempts: z.array(AttemptEv).catch([]) });
const BreachEv = z.object({ step: Str, level: z.number().catch(0), contact: Str, due_at: Str, resolved: z.boolean().catch(false) });
const AuditEv = z.object({ seq: z.number().catch(0), at: Str, type: Str, data: z.unknown() });
const RejectionEv = z.object({
  id: Str,
  source: Str,
  code: Str,
  reason: Str,
  details: z.unknown(),
  headers: z.record(z.string(), z.string()).catch({}),
  body_sha256: Str,
  body_bytes: z.number().catch(0),
  received_at: Str,
});

const list = <T extends z.ZodType>(item: T) => z.array(item).catch([]);

const Evidence = z.object({
  order: OrderEv.optional().catch(undefined),
  holds: list(HoldEv).optional(),
  conflicts: list(ConflictEv).optional(),
  receipts: list(ReceiptEv).optional(),
  exports: list(ExportEv).optional(),
  breaches: list(BreachEv).optional(),
  audit: list(AuditEv).optional(),
  rejection: RejectionEv.optional().catch(undefined),
});
const KNOWN = new Set(["order", "holds", "conflicts", "receipts", "exports", "breaches", "audit", "rejection"]);

export const AttemptsTable: FC<{ attempts: { n: number; at: string; status: number | null; latency_ms?: number; error_class: string | null; outcome: string }[]; now: number }> = ({
  attempts,
  now,
}) => (
  <table class="attempts">
    <colgroup>
      <col class="c-n" />
      <col class="c-at" />
      <col class="c-st" />
      <col class="c-ms" />
      <col class="c-err" />
      <col />
    </colgroup>
    <tbody>
      {attempts.map((a) => (
        <tr>
          <td class="num muted">#{a.n}</td>
          <td class="nowrap">
            <When at={a.at} now={now} />
          </td>
          <td class={a.status !== null && a.status >= 200 && a.status < 300 ? "green strong" : "red strong"}>{a.status === null ? "no answer" : `HTTP ${a.status}`}</td>
          <td class="num">{a.latency_ms === undefined ? "" : `${a.latency_ms} ms`}</td>
          <td>{a.error_class ? humanize(a.error_class) : ""}</td>
          <td>{humanize(a.outcome)}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

export const EvidenceView: FC<{ evidence: Record<string, unknown>; now: number }> = ({ evidence, now }) => {
  const ev = Evidence.parse(evidence);
  const extra = Object.entries(evidence).filter(([k]) => !KNOWN.has(k));
  return (
    <>
      {ev.rejection ? (
        <Card title="Refused inbound delivery">
          <div class="bd">
            <Kv
              rows={[
                ["Source", ev.rejection.source],
                ["Code", <span class="red strong">{ev.rejection.code}</span>],
                ["Reason", ev.rejection.reason],
                ["Received", stamp(ev.rejection.received_at)],
                ["Body", <span class="mono">{`${ev.rejection.body_bytes} bytes · sha256 ${ev.rejection.body_sha256}`}</span>],
                ["Details", <DataLine data={ev.rejection.details} max={400} />],
                ["Headers", <DataLine data={ev.rejection.headers} />],
              ]}
            />
          </div>
        </Card>
      ) : null}
      {ev.order ? (
        <Card title="Order when the task opened">
          <div class="bd">
            <Kv
              rows={[
                ["State", <StateBadge state={ev.order.state} />],
                ["Value", moneyOf(ev.order.value)],
                ["Milestones", <DataLine data={Object.fromEntries(milestonesInOrder(ev.order.milestones).map(([k, v]) => [k, stamp(v)]))} />],
              ]}
            />
          </div>
        </Card>
      ) : null}
      {ev.holds && ev.holds.length > 0 ? (
        <Card title="Holds" count={ev.holds.length}>
          <table>
            <tbody>
              {ev.holds.map((h) => (
                <tr>
                  <td class="nowrap">
                    <Badge tone="red" title={h.event_id}>
                      {humanize(h.reason)}
                    </Badge>
                  </td>
                  <td>{h.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      {ev.conflicts && ev.conflicts.length > 0 ? (
        <Card title="Conflicting changes" count={ev.conflicts.length}>
          <table>
            <thead>
              <tr>
                <th>Field</th>
                <th>Locked value</th>
                <th>Attempted</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {ev.conflicts.map((x) => (
                <tr>
                  <td class="strong">{humanize(x.field)}</td>
                  <td class="data">{brief(x.locked_value, 300)}</td>
                  <td class="data red">{brief(x.attempted_value, 300)}</td>
                  <td class="nowrap">{stamp(x.occurred_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      {ev.exports && ev.exports.length > 0 ? (
        <Card title="Exports and delivery attempts" count={ev.exports.length}>
          <table>
            <tbody>
              {ev.exports.map((e) => (
                <>
                  <tr class="exp-row">
                    <td class="mono">{e.export_id}</td>
                    <td>
                      <StatusBadge status={e.status} />
                    </td>
                    <td class="small muted">{e.consumer_url ?? "no consumer"}</td>
                  </tr>
                  <tr>
                    <td colspan={3}>{e.attempts.length ? <AttemptsTable attempts={e.attempts} now={now} /> : <span class="muted small">no attempts yet</span>}</td>
                  </tr>
                </>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      {ev.breaches && ev.breaches.length > 0 ? (
        <Card title="SLA breaches" count={ev.breaches.length}>
          <table>
            <tbody>
              {ev.breaches.map((b) => (
                <tr>
                  <td class="strong">{b.step}</td>
                  <td>{levelName(b.level)}</td>
                  <td>{b.contact}</td>
                  <td class="nowrap">due {stamp(b.due_at)}</td>
                  <td>{b.resolved ? <StatusBadge status="resolved" /> : <StatusBadge status="open" />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      {ev.receipts && ev.receipts.length > 0 ? (
        <Card title="Receipts" count={ev.receipts.length}>
          <ReceiptsTable receipts={ev.receipts} now={now} />
        </Card>
      ) : null}
      {ev.audit && ev.audit.length > 0 ? (
        <Card title="Audit entries" count={ev.audit.length}>
          <AuditTable entries={ev.audit} now={now} />
        </Card>
      ) : null}
      {extra.length > 0 ? (
        <Card title="Other evidence">
          <div class="bd">
            <pre class="json">{JSON.stringify(Object.fromEntries(extra), null, 2)}</pre>
          </div>
        </Card>
      ) : null}
      {Object.keys(evidence).length === 0 ? (
        <Card title="Evidence">
          <Empty>No evidence was recorded.</Empty>
        </Card>
      ) : null}
    </>
  );
};

export const ReceiptsTable: FC<{ receipts: { id: string; source: string; events: string[]; received_at: string; raw_sha256: string }[]; now: number }> = ({ receipts, now }) => (
  <table>
    <thead>
      <tr>
        <th>Received</th>
        <th>Source</th>
        <th>Events</th>
        <th>Receipt</th>
      </tr>
    </thead>
    <tbody>
      {receipts.map((r) => (
        <tr>
          <td class="nowrap">
            <When at={r.received_at} now={now} />
          </td>
          <td>{r.source}</td>
          <td>{r.events.join(", ")}</td>
          <td class="mono small" title={`sha256 ${r.raw_sha256}`}>
            {r.id}
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);

export const AuditTable: FC<{ entries: { seq: number; at: string; type: string; data: unknown }[]; now: number; brokenAt?: number | null }> = ({ entries, now, brokenAt = null }) => (
  <table>
    <thead>
      <tr>
        <th class="num">Seq</th>
        <th>When</th>
        <th>Entry</th>
        <th>Data</th>
      </tr>
    </thead>
    <tbody>
      {entries.map((e) => (
        <tr class={brokenAt !== null && e.seq >= brokenAt ? "red" : undefined}>
          <td class="num muted">{e.seq}</td>
          <td class="nowrap" title={stamp(e.at)}>
            <When at={e.at} now={now} />
          </td>
          <td class="nowrap strong">{e.type}</td>
          <td>
            <DataLine data={e.data} />
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);
