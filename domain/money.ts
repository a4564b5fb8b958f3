/**
 * Decimal amounts (Shopify's "199.00") to integer minor units (19900), by
 * string arithmetic: parseFloat("0.29") * 100 is 28.999999999999996, and a
 * one-cent drift is enough to make two senders disagree about the same order.
 */

/** ISO-4217 currencies with no minor unit (as gateways treat them). */
const ZERO_DECIMAL = new Set([
  "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
  "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
]);

/** ISO-4217 currencies with three decimals. */
const THREE_DECIMAL = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

/** Digits after the decimal point for a currency; anything unlisted has 2. */
export function currencyExponent(currency: string): number {
  const code = normaliseCurrency(currency);
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

function normaliseCurrency(currency: string): string {
  if (typeof currency !== "string" || !/^[A-Za-z]{3}$/.test(currency)) {
    throw new Error(`Invalid currency code ${JSON.stringify(currency)}: expected three letters`);
  }
  return currency.toUpperCase();
}

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

/**
 * "199.00" + USD → 19900; "1000" + JPY → 1000; "1.234" + KWD → 1234.
 * Extra fractional digits are accepted only when they are zeros ("10.000"
 * USD): rounding a real sub-unit amount would silently invent money.
 * Numbers are read through their shortest round-trip text (89.99 → "89.99"),
 * which is the decimal the sender wrote.
 */
export function toMinor(decimal: string | number, currency: string): number {
  const exponent = currencyExponent(currency);
  let text: string;
  if (typeof decimal === "number") {
    if (!Number.isFinite(decimal)) throw new Error(`Invalid amount ${String(decimal)}: not a finite number`);
    text = String(decimal);
  } else if (typeof decimal === "string") {
    text = decimal.trim();
  } else {
    throw new Error(`Invalid amount ${JSON.stringify(decimal)}: expected a decimal string or number`);
  }

  const m = PLAIN_DECIMAL.exec(text);
  if (!m) {
    throw new Error(`Invalid amount ${JSON.stringify(decimal)}: expected a non-negative plain decimal like "199.00"`);
  }
  const whole = m[1] ?? "0";
  const fraction = m[2] ?? m[3] ?? "";
  const kept = fraction.slice(0, exponent);
  const dropped = fraction.slice(exponent);
  if (/[^0]/.test(dropped)) {
    throw new Error(
      `Invalid amount ${JSON.stringify(decimal)}: ${currency.toUpperCase()} has ${exponent} decimal place(s)`,
    );
  }

  const digits = (whole + kept.padEnd(exponent, "0")).replace(/^0+(?=\d)/, "");
  const minor = Number(digits);
  if (!Number.isSafeInteger(minor)) {
    throw new Error(`Invalid amount ${JSON.stringify(decimal)}: too large to represent exactly`);
  }
  return minor;
}

/** "1,234.50 EUR" from integer minor units, by string arithmetic (no float drift). */
export function formatMoney(amountMinor: number, currency: string): string {
  let exponent = 2;
  try {
    exponent = currencyExponent(currency);
  } catch {
    // An odd code from a sender still displays, with the common two decimals.
  }
  const negative = amountMinor < 0;
  const digits = String(Math.abs(Math.trunc(amountMinor))).padStart(exponent + 1, "0");
  const whole = digits.slice(0, digits.length - exponent).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction} ${currency}`;
}
