/**
 * Moves a sample payload's timestamps to the moment it is sent. The fixtures
 * in test/fixtures keep their original (weeks-old) times for the tests; sent
 * as they are, a healthy demo order would be past every SLA on arrival, page
 * on-call and open tasks at once.
 *
 * Every timestamp shifts by the same amount, so the payload's latest one
 * becomes `now` and the rest keep their distance to it (a customer created a
 * year before the order stays a year before). It works on the text, never on
 * parsed JSON: Shopify ids exceed 2^53 and the body must keep its exact digits.
 */

/** A key, then an ISO-8601 instant with a zone as a JSON string: `"created_at": "2026-11-20T10:00:00-05:00"`. */
const ISO = /("([A-Za-z_]+)"\s*:\s*)"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))"/g;
/** Stripe's Unix seconds: `created`, `*_at`, `capture_before`, `expires_at`… (ten digits: 2001 to 2286). */
const UNIX = /("(created|capture_before|[a-z_]+_at)"\s*:\s*)(\d{10})(?![\d.])/g;
/** WooCommerce's `*_gmt` fields: UTC with no zone written (`"date_paid_gmt": "2026-11-20T19:28:08"`). */
const GMT = /("([a-z_]+_gmt)"\s*:\s*)"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})"/g;
/** Deadlines sit in the future of the event: they move with it but must not set the anchor. */
const DEADLINE = /before|expires|due|deadline|estimated|expected/i;

export interface Stamped {
  body: string;
  /** Seconds every timestamp moved (0 when the payload has none). */
  shiftSeconds: number;
}

export function stampNow(body: string, now: number): Stamped {
  const instants: number[] = [];
  for (const m of body.matchAll(ISO)) if (!DEADLINE.test(m[2] ?? "")) instants.push(Date.parse(m[3] ?? ""));
  for (const m of body.matchAll(UNIX)) if (!DEADLINE.test(m[2] ?? "")) instants.push(Number(m[3]) * 1000);
  for (const m of body.matchAll(GMT)) instants.push(Date.parse(`${m[3] ?? ""}Z`));
  const valid = instants.filter((t) => Number.isFinite(t));
  if (valid.length === 0) return { body, shiftSeconds: 0 };
  // Whole seconds: Stripe's fields are integers and most ISO ones carry none.
  const shiftSeconds = Math.floor(now / 1000) - Math.floor(Math.max(...valid) / 1000);
  const shiftMs = shiftSeconds * 1000;
  const out = body
    .replace(ISO, (whole, key: string, _name: string, iso: string) => {
      const t = Date.parse(iso);
      if (!Number.isFinite(t)) return whole;
      const moved = new Date(t + shiftMs).toISOString();
      // Keep fractional seconds only where the original had them.
      return `${key}"${/\.\d+/.test(iso) ? moved : moved.replace(/\.\d{3}Z$/, "Z")}"`;
    })
    .replace(UNIX, (_whole, key: string, _name: string, secs: string) => `${key}${Number(secs) + shiftSeconds}`)
    .replace(GMT, (_whole, key: string, _name: string, at: string) => `${key}"${new Date(Date.parse(`${at}Z`) + shiftMs).toISOString().slice(0, 19)}"`);
  return { body: out, shiftSeconds };
}
