import { afterEach, describe, expect, it } from "vitest";
import type { Sender } from "../helpers/arbitraries";
import { seedTenant, settleAlarms } from "../helpers/http";
import { Ledger } from "../chaos/transport";
import type { FuzzCase } from "./cases";
import { rejectionsPage, runCase } from "./edge";
import { putNewSenders } from "../helpers/senders";

afterEach(settleAlarms);

/**
 * Every case a fuzz run ever failed on, saved as test/fuzz/regressions/<name>.json
 * (fuzzEdge prints the JSON to save), replayed as it was: the concrete case,
 * not its seed, so later changes to the generators cannot lose it.
 * `status: "open"` is a bug not fixed yet (the replay must fail, via it.fails);
 * `"fixed"` must pass from then on.
 */
interface Regression {
  sender: Sender;
  seed: number;
  path: string;
  status: "open" | "fixed";
  note?: string;
  case: FuzzCase;
}

const saved = import.meta.glob<Regression>("./regressions/*.json", { eager: true, import: "default" });

describe("fuzz regressions", () => {
  const entries = Object.entries(saved);
  it("are saved in the shape the replay reads", () => {
    for (const [file, r] of entries) expect(r.case.sender, file).toBe(r.sender);
  });
  for (const [i, [file, r]] of entries.entries()) {
    const name = `${file.replace(/^.*\//, "")} (seed ${r.seed}, path ${r.path})${r.note ? `: ${r.note}` : ""}`;
    (r.status === "open" ? it.fails : it)(name, async () => {
      const tenant = `fuzz-reg-${i}`;
      const key = await seedTenant(tenant);
      await putNewSenders(tenant);
      const total = (await rejectionsPage(tenant, key, 1)).total;
      const out = await runCase({ tenant, key, ledger: new Ledger() }, r.case, total);
      expect(out.problems).toEqual([]);
    });
  }
});
