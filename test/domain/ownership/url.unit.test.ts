import { describe, expect, it } from "vitest";
import { Channel, StoredChannel } from "../../../domain/notify/directory";
import { httpUrl } from "../../../domain/ownership/url";

/** The one http(s) URL check, as the ownership rules' consumer URL and the contact channels use it. */

function messages(schema: ReturnType<typeof httpUrl>, v: unknown): string[] {
  const r = schema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => i.message);
}

describe("httpUrl", () => {
  const labelled = httpUrl("consumer.url", { credentials: { refused: "the consumer authenticates with its secret" } });
  const bare = httpUrl(null, { credentials: "allow" });

  it.each([
    ["https://wms.example.com/handoff", []],
    ["http://127.0.0.1:8788/x?y=1", []],
    ["not a url", ["consumer.url is not a valid absolute URL"]],
    ["/relative/path", ["consumer.url is not a valid absolute URL"]],
    ["ftp://files.example.com/drop", ["consumer.url must use http or https, not 'ftp'"]],
    ["javascript:alert(1)", ["consumer.url must use http or https, not 'javascript'"]],
    ["https://user:pw@wms.example.com/", ["consumer.url must not carry credentials; the consumer authenticates with its secret"]],
    ["https://user@wms.example.com/", ["consumer.url must not carry credentials; the consumer authenticates with its secret"]],
  ])("labelled, credentials refused: %j", (url, expected) => {
    expect(messages(labelled, url)).toEqual(expected);
  });

  it("without a label the message leaves the field to the issue's path; credentials may be allowed", () => {
    expect(messages(bare, "not a url")).toEqual(["is not a valid absolute URL"]);
    expect(messages(bare, "file:///etc/passwd")).toEqual(["must use http or https, not 'file'"]);
    expect(messages(bare, "https://user:pw@relay.example/")).toEqual([]);
  });

  it("bounds the length at 2048", () => {
    expect(messages(bare, `https://x.example/${"a".repeat(2048)}`)).toHaveLength(1);
  });
});

describe("contact channels", () => {
  const slack = (webhook_url: string) => ({ type: "slack", webhook_url });

  it("a PUT refuses credentials in a channel URL; a channel stored before that rule still reads back", () => {
    const input = Channel.safeParse(slack("https://bot:pw@hooks.example/x"));
    expect(input.success).toBe(false);
    expect(input.error?.issues).toEqual([expect.objectContaining({ path: ["webhook_url"], message: expect.stringMatching(/^must not carry credentials; they would not be sent/) })]);
    expect(StoredChannel.parse(slack("https://bot:pw@hooks.example/x"))).toEqual(slack("https://bot:pw@hooks.example/x"));
  });

  it("PagerDuty's events_url defaults to the Events API v2 endpoint and is held to the same check", () => {
    expect(Channel.parse({ type: "pagerduty", routing_key: "K" })).toEqual({ type: "pagerduty", routing_key: "K", events_url: "https://events.pagerduty.com/v2/enqueue" });
    expect(Channel.safeParse({ type: "pagerduty", routing_key: "K", events_url: "ftp://x" }).success).toBe(false);
  });
});
