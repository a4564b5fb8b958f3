import { createApp } from "./app";
import type { Env } from "./env";

export { OrderDO } from "../durable-objects/order/OrderDO";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
