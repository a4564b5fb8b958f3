import { createApp } from "./app";
import type { Env } from "./env";
import { sweepStalled } from "./sweep";

export { OrderDO } from "../durable-objects/order/OrderDO";
export { RefusalBudget } from "../durable-objects/refusals/RefusalBudgetDO";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      sweepStalled(env).then((r) => {
        if (r.checked > 0) console.log(`sweep: ${r.checked} stalled orders, ${r.poked} poked, ${r.due} timers were due`);
      }),
    );
  },
} satisfies ExportedHandler<Env>;
