import { createApp } from "./app";
import type { Env } from "./env";
import { runRetention } from "./retention/job";
import { sweepStalled } from "./sweep";
import { runAllWatchers } from "./watchers/run";

export { InventoryDO } from "../durable-objects/inventory/InventoryDO";
export { OrderDO } from "../durable-objects/order/OrderDO";
export { Notifier } from "../durable-objects/notifier/NotifierDO";
export { RefusalBudget } from "../durable-objects/refusals/RefusalBudgetDO";
export { WhatIfJob } from "../durable-objects/whatif/WhatIfJobDO";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      sweepStalled(env).then((r) => {
        if (r.checked > 0) console.log(`sweep: ${r.checked} stalled orders, ${r.poked} poked, ${r.due} timers were due`);
      }),
    );
    // Bounded per run (worker/retention/job.ts); what is left waits for the next tick.
    ctx.waitUntil(
      runRetention(env, controller.scheduledTime).then((r) => {
        for (const a of r.archived) console.log(`retention: ${a.tenant} ${a.table} ${a.day}: ${a.rows} rows archived and deleted (checkpoint ${a.checkpoint_seq})`);
        for (const e of r.errors) console.error(`retention: ${e.tenant} ${e.table} ${e.day}: ${e.message}`);
      }),
    );
    ctx.waitUntil(
      runAllWatchers(env).then((r) => {
        if (r.opened + r.closed + r.failed > 0) console.log(`watchers: ${r.tenants} tenants, ${r.opened} tasks opened, ${r.closed} closed, ${r.failed} failed`);
      }),
    );
  },
} satisfies ExportedHandler<Env>;
