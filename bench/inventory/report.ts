import { median } from "../load/report";

/**
 * bench:inventory's result and its markdown. Pure: the run hands it the
 * per-run rates; medians and ratios are taken here, run by run, because the
 * machine is shared and only ratios measured side by side mean anything.
 */

export const CASES = ["do-write", "rpc-hot", "rpc-spread", "order-hot", "order-spread"] as const;
export type Case = (typeof CASES)[number];

export const CASE_TEXT: Record<Case, string> = {
  "do-write": "reference: one object, one bare transactionSync insert (the local storage ceiling)",
  "rpc-hot": "reserve RPC, one hot SKU (one object's ceiling)",
  "rpc-spread": "reserve RPC, spread over many SKUs",
  "order-hot": "paid order webhook → order object → reserve, one hot SKU",
  "order-spread": "paid order webhook → order object → reserve, many SKUs",
};

export interface Sample {
  ok: number;
  errors: number;
  seconds: number;
  /** Reservations per second: completed reserve calls (rpc) or orders acknowledged with their reservation (order). */
  rate: number;
  /** Latency of one call, ms. */
  p50: number;
  p99: number;
}

export interface InventoryBench {
  at: string;
  machine: { cpus: number; node: string; load: number[] };
  settings: { seconds: number; runs: number; concurrency: number; skus: number };
  runs: Record<Case, Sample>[];
  /** What the objects hold afterwards against what the run asked for: the rates count real reservations. */
  verified: { case: Case; expected_units: number; reserved_units: number }[];
}

export interface Summary {
  rate: Record<Case, number>;
  p50: Record<Case, number>;
  /** Per run, spread ÷ hot, then the median: how much one object holds the rate back. */
  spreadOverHot: { rpc: number; order: number };
  /** Per run, order path ÷ bare RPC on the hot SKU: what the order around the reservation costs. */
  orderOverRpcHot: number;
  /** Per run, the hot SKU's reserve ÷ a bare object write: how close one SKU's object runs to the storage ceiling. */
  rpcHotOverWrite: number;
}

export function summarize(b: InventoryBench): Summary {
  const per = (c: Case, k: "rate" | "p50") => median(b.runs.map((r) => r[c][k]));
  const ratio = (num: Case, den: Case) => median(b.runs.map((r) => r[num].rate / r[den].rate));
  const rate = Object.fromEntries(CASES.map((c) => [c, per(c, "rate")])) as Record<Case, number>;
  const p50 = Object.fromEntries(CASES.map((c) => [c, per(c, "p50")])) as Record<Case, number>;
  return { rate, p50, spreadOverHot: { rpc: ratio("rpc-spread", "rpc-hot"), order: ratio("order-spread", "order-hot") }, orderOverRpcHot: ratio("order-hot", "rpc-hot"), rpcHotOverWrite: ratio("rpc-hot", "do-write") };
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");

export function renderBench(b: InventoryBench): string {
  const s = summarize(b);
  const rows = CASES.map((c) => `| ${c} | ${CASE_TEXT[c]} | ${f0(s.rate[c])} | ${b.runs.map((r) => f0(r[c].rate)).join(" / ")} | ${f1(s.p50[c])} | ${b.runs.reduce((n, r) => n + r[c].errors, 0)} |`);
  const checks = b.verified.map((v) => `| ${v.case} | ${v.expected_units} | ${v.reserved_units} | ${v.expected_units === v.reserved_units ? "yes" : "**NO**"} |`);
  return `# \`npm run bench:inventory\`: reservations per second

${b.at} · ${b.machine.cpus} CPUs shared with other work (load ${b.machine.load.map((l) => l.toFixed(1)).join(" ")}) · Node ${b.machine.node} · the engine under \`wrangler dev\` (local workerd) on loopback, the load generator in the same machine.
${b.settings.runs} runs × ${b.settings.seconds} s per case, cases interleaved within each run; ${b.settings.concurrency} requests in flight; spread = ${b.settings.skus} SKUs.

| case | what one request does | median reservations/s | per run | p50 latency ms | errors |
|---|---|---:|---|---:|---:|
${rows.join("\n")}

**Ratios (per run, then the median; the machine is shared, so only these compare):**
- spread ÷ hot, bare RPC: **${f2(s.spreadOverHot.rpc)}×** — how far one SKU's object holds reservations back.
- spread ÷ hot, through orders: **${f2(s.spreadOverHot.order)}×**.
- hot-SKU reserve ÷ bare object write: **${f2(s.rpcHotOverWrite)}×** — one SKU's object against the local storage ceiling.
- order path ÷ bare RPC (hot SKU): **${f2(s.orderOverRpcHot)}×** — what the order around each reservation costs.

Every rate counts real reservations: afterwards each SKU's object was read back (\`GET /v1/tenants/:tenant/inventory/:sku\`)
and the units it holds reserved were compared with the units the run's successful requests asked for.

| case | units asked | units reserved | equal |
|---|---:|---:|---|
${checks.join("\n")}
`;
}
