import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { currencyExponent, toMinor } from "../../domain/money";

describe("toMinor", () => {
  it.each([
    ["199.00", "USD", 19900],
    ["199", "USD", 19900],
    ["199.5", "usd", 19950],
    ["0.01", "EUR", 1],
    [".5", "EUR", 50],
    ["0.29", "USD", 29],
    [" 12.30 ", "GBP", 1230],
    ["10.000", "USD", 1000],
    ["1000", "JPY", 1000],
    ["1000.00", "JPY", 1000],
    ["15000", "KRW", 15000],
    ["1.234", "KWD", 1234],
    ["1.2", "BHD", 1200],
    ["007.10", "USD", 710],
    ["90071992547409.91", "USD", 9007199254740991],
  ] as const)("%j %s → %d", (amount, currency, minor) => {
    expect(toMinor(amount, currency)).toBe(minor);
  });

  it("reads numbers through the decimal the sender wrote, not their binary approximation", () => {
    expect(toMinor(89.99, "USD")).toBe(8999);
    expect(toMinor(0.29, "USD")).toBe(29);
    expect(1.005 * 1000).not.toBe(1005);
    expect(toMinor(1.005, "KWD")).toBe(1005);
    // A computed float is not a decimal anyone wrote: refuse rather than round.
    expect(() => toMinor(0.1 + 0.2, "USD")).toThrow(/2 decimal place/);
  });

  it.each([
    ["", "USD"],
    ["abc", "USD"],
    ["1,000.00", "USD"],
    ["-1.00", "USD"],
    ["1e3", "USD"],
    ["1.2.3", "USD"],
    ["19.999", "USD"],
    ["1000.5", "JPY"],
    ["1.2345", "KWD"],
    ["90071992547409.92", "USD"],
    ["1.00", "US"],
    ["1.00", "US D"],
    ["1.00", ""],
  ] as const)("refuses %j in %j with a clear error", (amount, currency) => {
    expect(() => toMinor(amount, currency)).toThrow(/Invalid (amount|currency)/);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1, 1e21, 1e-7])("refuses the number %d", (n) => {
    expect(() => toMinor(n, "USD")).toThrow(/Invalid amount/);
  });

  it("exponents: zero-decimal, three-decimal, default two", () => {
    expect(["JPY", "KRW", "VND", "CLP", "ISK"].map(currencyExponent)).toEqual([0, 0, 0, 0, 0]);
    expect(["BHD", "KWD", "JOD", "OMR", "TND"].map(currencyExponent)).toEqual([3, 3, 3, 3, 3]);
    expect(["USD", "EUR", "GBP", "XYZ"].map(currencyExponent)).toEqual([2, 2, 2, 2]);
  });

  it("property: formatting minor units as a decimal and reading them back is the identity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom("USD", "JPY", "KWD", "EUR", "VND", "OMR"), (minor, currency) => {
        const exp = currencyExponent(currency);
        const digits = String(minor).padStart(exp + 1, "0");
        const decimal = exp === 0 ? digits : `${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
        expect(toMinor(decimal, currency)).toBe(minor);
      }),
    );
  });
});
