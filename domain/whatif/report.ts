import { z } from "zod";
import { OrderDiff, WhatIfSummary } from "./diff";

/** One what-if run as the API answers it. */
export const WhatIfRun = z
  .object({
    tenant: z.string(),
    from: z.string(),
    to: z.string(),
    until: z.string().describe("Timers were played up to this instant (the moment the trail was read); under the rules in force, each order no further than its last recorded entry"),
    mode: z.enum(["proposed", "in_force"]).describe("in_force: no proposal, each order under the rules it actually met (a self-check: nothing may change)"),
    proposal_version: z.number().int().nullable().describe("The version the proposal would get: the tenant's latest + 1"),
    rows_read: z.number().int().describe("D1 rows read (order index + audit trail)"),
    summary: WhatIfSummary,
    orders: z.array(OrderDiff).describe("Only the orders whose decisions would change, in order id order"),
  })
  .meta({ id: "WhatIfRun" });
export type WhatIfRun = z.infer<typeof WhatIfRun>;
