import { createHash, webcrypto } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../domain/sha256";

const nodeHex = (text: string): string => createHash("sha256").update(text).digest("hex");
const webHex = async (text: string): Promise<string> =>
  Buffer.from(await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(text))).toString("hex");

describe("sha256Hex", () => {
  it("gives node:crypto's hex for any text, lone surrogates and astral characters included", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 80 }), fc.string({ maxLength: 300 })), (text) => {
        expect(sha256Hex(text)).toBe(nodeHex(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives WebCrypto's hex across the block boundaries (55, 56, 63, 64, 119 bytes …)", async () => {
    for (let n = 0; n <= 260; n++) {
      const text = "é".repeat(n >> 1) + "x".repeat(n & 1);
      expect(sha256Hex(text)).toBe(await webHex(text));
      const ascii = "a".repeat(n);
      expect(sha256Hex(ascii)).toBe(await webHex(ascii));
    }
  });

  it("is the known digest of the empty string and of \"abc\"", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
