import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

/**
 * /notebooks/:name in workerd. Whether the static assets are built depends on
 * what ran before (`npm run build:assets`); both answers are checked for what
 * they must be, and the browser test covers the page itself.
 */

const get = (path: string): Promise<Response> => exports.default.fetch(new Request(`http://handoff.test${path}`));

describe("/notebooks", () => {
  it.each(["/notebooks/Not_A_Name", "/notebooks/index", "/notebooks/..%2Fsecrets"])("%s is not a notebook", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("serves the page with its CSP, or says the assets are not built", async () => {
    const res = await get("/notebooks/monthly-root-cause");
    if (res.status === 200) {
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(await res.text()).toContain('<script type="module" src="/analytics/notebook.js"></script>');
    } else {
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("npm run build:assets");
    }
  });
});
