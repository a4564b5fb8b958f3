import { describe, expect, it } from "vitest";
import { readCapped } from "../../../worker/lib/read-capped";

/**
 * An upload whose connection is lost midway reaches the Worker as a body whose
 * read rejects ("Network connection lost." from the local host's proxy and the
 * edge alike). That is the client's failure, so the route answers it as one
 * (413 when the declared length was over the limit anyway, else 400
 * body_incomplete), never as our 500: the hostile host test saw a 500 for a
 * 50 MiB upload exactly this way.
 */

const LIMIT = 1024;

/** A body that breaks off after `bytes` bytes, as an upload whose connection is lost does. */
function lostAfter(bytes: number, chunk = 256): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= bytes) return c.error(new Error("Network connection lost."));
      const n = Math.min(chunk, bytes - sent);
      sent += n;
      c.enqueue(new Uint8Array(n).fill(0x7b));
    },
  });
}

const post = (body: ReadableStream<Uint8Array>, declared?: number): Request =>
  new Request("http://handoff.test/", { method: "POST", body, headers: declared === undefined ? {} : { "content-length": String(declared) } });

describe("readCapped when the connection is lost", () => {
  it("a body declared over the limit is too large whether or not its upload finished", async () => {
    const read = await readCapped(post(lostAfter(512), 50 * 1024 * 1024), LIMIT);
    expect(read).toMatchObject({ truncated: true, incomplete: true, total: 50 * 1024 * 1024 });
    expect(read.bytes.length).toBe(512);
  });

  it("a body of no declared length that breaks off is incomplete, not truncated, and keeps what arrived", async () => {
    const read = await readCapped(post(lostAfter(300)), LIMIT);
    expect(read).toMatchObject({ truncated: false, incomplete: true, total: 300 });
    expect(read.bytes.length).toBe(300);
  });

  it("a body declared within the limit that breaks off is incomplete", async () => {
    const read = await readCapped(post(lostAfter(300), 800), LIMIT);
    expect(read).toMatchObject({ truncated: false, incomplete: true });
  });

  it("a body that ends normally is neither, and one past the limit is truncated at the limit", async () => {
    const whole = await readCapped(new Request("http://handoff.test/", { method: "POST", body: "x".repeat(700) }), LIMIT);
    expect(whole).toMatchObject({ truncated: false, incomplete: false, total: 700 });
    const over = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(900));
        c.enqueue(new Uint8Array(900));
        c.close();
      },
    });
    const big = await readCapped(post(over), LIMIT);
    expect(big).toMatchObject({ truncated: true, incomplete: false });
    expect(big.bytes.length).toBe(LIMIT);
  });
});
