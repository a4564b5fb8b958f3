import { z } from "zod";
import type { AckInput, AckResult } from "../../domain/order/object";
import { verifyStandard } from "../../domain/webhooks/standard";
import { unseal } from "../../worker/lib/sealed";

const AckBody = z.object({ status: z.enum(["accepted", "rejected"]), reason: z.string().max(2000).nullish() });
export type AckBody = z.infer<typeof AckBody>;

/**
 * A consumer's ack, checked as the edge checks a sender: the Standard Webhooks
 * signature over the raw body with the consumer's (sealed) secret, then the body.
 */
export async function readAck(
  input: AckInput,
  sealedSecret: string,
  secretsKey: string,
  now: number,
): Promise<{ ok: true; ack: AckBody } | Extract<AckResult, { ok: false }>> {
  const secret = await unseal(sealedSecret, secretsKey);
  const lower = new Map(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const raw = new TextEncoder().encode(input.body);
  const verified = await verifyStandard({ raw, headers: (n) => lower.get(n.toLowerCase()) ?? null, secret, now });
  if (!verified.ok) return { ok: false, code: verified.code, message: verified.message };
  try {
    return { ok: true, ack: AckBody.parse(JSON.parse(input.body)) };
  } catch {
    return { ok: false, code: "validation_failed", message: 'Body must be { "status": "accepted" | "rejected", "reason"?: string }' };
  }
}
