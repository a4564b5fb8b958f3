import { afterEach, describe, expect, it, vi } from "vitest";
import { notebookCommand } from "../../analytics/cli";

/** What `npm run notebook -- …` prints to stderr, and its exit code. */
async function run(argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  const code = await notebookCommand(argv);
  return { code, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("npm run notebook", () => {
  it("an unknown name is named as unknown, with the known names, and exits non-zero (issue 11)", async () => {
    const { code, err } = await run(["nonexistent"]);
    expect(code).toBe(2);
    expect(err).toMatch(/^unknown notebook: no notebook 'nonexistent'/);
    expect(err).toContain("known: monthly-root-cause, sla-review");
    expect(err).not.toContain("usage:");
  });

  it("a known name without --input says what is missing, then the usage", async () => {
    const { code, err } = await run(["sla-review"]);
    expect(code).toBe(2);
    expect(err).toMatch(/^--input is missing/);
    expect(err).toContain("usage: npm run notebook");
  });

  it("no arguments print the usage; --help exits 0", async () => {
    expect(await run([])).toMatchObject({ code: 2, err: expect.stringContaining("usage:") });
    expect(await run(["--help"])).toMatchObject({ code: 0, err: expect.stringContaining("usage:") });
  });
});
