import type { FC } from "hono/jsx";
import type { Contact, Rotation } from "../../../domain/notify/directory";
import { Badge, Card, Empty } from "../components";
import { stamp } from "../format";
import { Layout, type Notice } from "../layout";
import type { Session } from "../session";

/** The tenant's contacts and on-call rotations: who the escalation ladders reach, and how. */
export interface PeoplePageProps {
  nonce: string;
  session: Session;
  contacts: Contact[];
  rotations: Rotation[];
  notice: Notice | null;
}

function channelText(c: Contact["channels"][number]): string {
  switch (c.type) {
    case "slack":
      return `${c.host} · ${c.webhook_url}`;
    case "pagerduty":
      return `${new URL(c.events_url).host} · key ${c.routing_key}`;
    case "email":
      return c.address;
    case "webhook":
      return `${c.host} · ${c.url}`;
  }
}

export const PeoplePage: FC<PeoplePageProps> = ({ nonce, session, contacts, rotations, notice }) => (
  <Layout title="People" nonce={nonce} session={session} section="people" notice={notice}>
    <h1>People</h1>
    <div class="small muted">Who tasks, breaches and escalations reach. Secrets and webhook URLs show only as fingerprints.</div>
    <Card title="On-call rotations" count={rotations.length}>
      {rotations.length === 0 ? (
        <Empty>No rotations. PUT /v1/tenants/{session.tenant}/rotations/:rotation_id adds one.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Rotation</th>
              <th>On call now</th>
              <th>Members (in turn)</th>
              <th>Shift</th>
              <th>Overrides</th>
            </tr>
          </thead>
          <tbody>
            {rotations.map((r) => (
              <tr>
                <td>
                  <b>{r.name}</b>
                  <div class="small muted mono">{r.rotation_id}</div>
                </td>
                <td>{r.on_call_now ? <Badge tone="green">{r.on_call_now}</Badge> : "—"}</td>
                <td>{r.members.join(" → ")}</td>
                <td>
                  {r.shift}
                  <div class="small muted">from {stamp(r.starts_at)}</div>
                </td>
                <td>
                  {r.overrides.length === 0
                    ? "—"
                    : r.overrides.map((o) => (
                        <div class="small">
                          {o.contact_id}: {stamp(o.from)} – {stamp(o.to)}
                        </div>
                      ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
    <Card title="Contacts" count={contacts.length}>
      {contacts.length === 0 ? (
        <Empty>No contacts: ownership rules keep free-text names and nobody is notified. PUT /v1/tenants/{session.tenant}/contacts/:contact_id adds one.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Contact</th>
              <th>Channels</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((c) => (
              <tr>
                <td>
                  <b>{c.name}</b>
                  <div class="small muted mono">{c.contact_id}</div>
                </td>
                <td>
                  {c.channels.length === 0 ? (
                    <span class="muted">none: reaches nobody</span>
                  ) : (
                    c.channels.map((ch) => (
                      <div class="small">
                        <Badge tone="violet">{ch.type}</Badge> <span class="mono">{channelText(ch)}</span>
                      </div>
                    ))
                  )}
                </td>
                <td class="nowrap small">{stamp(c.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  </Layout>
);
