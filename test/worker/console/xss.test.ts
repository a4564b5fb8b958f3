import { afterEach, describe, expect, it } from "vitest";
import { settleAlarms } from "../../helpers/http";
import { ConsoleClient, html } from "./helpers";
import { rejectedOrder } from "./seed";

afterEach(settleAlarms);

const SCRIPT = "<script>alert(1)</script>";
const IMG = '<img src=x onerror="alert(2)">';

function expectEscaped(page: string): void {
  expect(page).not.toContain(SCRIPT);
  expect(page).not.toMatch(/<script/i);
  expect(page).not.toContain("<img");
  expect(page).not.toMatch(/onerror="alert/);
}

describe("every page escapes what it shows", () => {
  it("renders a consumer's answer, a shipping name and an operator name full of markup as text", async () => {
    const { key, task } = await rejectedOrder("con-xss", "xss-1", { consumerBody: `${SCRIPT}${IMG}`, shippingName: SCRIPT });
    expect(task.title).toContain(SCRIPT);
    const client = new ConsoleClient();
    const csrf = await client.session("con-xss", key, `${SCRIPT} "mallory"`);

    const queue = await html(await client.get("/console/queue"));
    expectEscaped(queue);
    expect(queue).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");

    const taskPage = await html(await client.get(`/console/tasks/${task.task_id}`));
    expectEscaped(taskPage);
    expect(taskPage).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;");

    const order = await html(await client.get("/console/orders/xss-1"));
    expectEscaped(order);
    expect(order).toContain("<div>&lt;script&gt;alert(1)&lt;/script&gt;</div>");

    expectEscaped(await html(await client.get("/console/today")));

    // What an operator typed is escaped too (it is shown back to every other operator).
    await client.post(`/console/tasks/${task.task_id}/claim`, { _csrf: csrf });
    const resolved = await client.post(`/console/tasks/${task.task_id}/resolve`, { _csrf: csrf, action: "close", resolution: SCRIPT, justification: IMG });
    expect(resolved.status).toBe(303);
    const after = await html(await client.get(`/console/tasks/${task.task_id}`));
    expectEscaped(after);
    expect(after).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &quot;mallory&quot;");
  });

  it("escapes markup in the URL (queue filters, notices, order ids) instead of reflecting it", async () => {
    const { key } = await rejectedOrder("con-xss-url", "xu-1");
    const client = new ConsoleClient();
    await client.session("con-xss-url", key, "alice");
    const q = encodeURIComponent(`"><script>alert(1)</script>`);
    const queue = await html(await client.get(`/console/queue?owner=${q}&type=${q}&notice=${q}&cursor=${q}`));
    expectEscaped(queue);
    expect(queue).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    const order = await html(await client.get(`/console/orders/${q}`), 404);
    expectEscaped(order);
    const signIn = await html(await new ConsoleClient().get(`/console?next=${q}`));
    expectEscaped(signIn);
  });
});
