import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { waitReady } from "../../cli/dev-server";

/**
 * Debian's chromium driven by playwright-core (no browser download). The flags
 * keep it from reaching for the network, which this machine does not have.
 * playwright gives every launch a fresh profile directory of its own.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.resolve(import.meta.dirname, "screenshots");

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot under test/browser/screenshots/ (git-ignored) for a person to look at. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until the engine answers (a test that starts while it is still busy waits rather than failing). */
export function engineUp(url: string, timeoutMs = 90_000): Promise<void> {
  return waitReady(url, null, timeoutMs);
}
