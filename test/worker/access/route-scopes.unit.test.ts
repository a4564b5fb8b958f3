import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { routeScopeTable } from "../../helpers/route-scopes";

const DOC = new URL("../../../docs/route-scopes.md", import.meta.url);

describe("docs/route-scopes.md", () => {
  // A changed decision shows up in review as a diff of this table, not only as a line of code.
  it("is the table worker/access/table.ts produces", () => {
    const table = routeScopeTable();
    if (process.env.UPDATE_ROUTE_SCOPES === "1") writeFileSync(DOC, table);
    expect(readFileSync(DOC, "utf8")).toBe(table);
  });
});
