import { z } from "zod";

/**
 * The one check for an http(s) URL a user hands over: a consumer's endpoint
 * in the ownership rules, a contact channel's webhook or Events API URL.
 * Absolute, http or https, at most 2048 characters, and credentials in the
 * URL refused or allowed per use (docs/decisions.md, "Notifications").
 * `label` prefixes every message (`consumer.url …`); with none, the message
 * relies on the issue's path to name the field.
 */
export interface HttpUrlOptions {
  /** `allow`, or why they are refused (ends the message). */
  credentials: "allow" | { refused: string };
}

export function httpUrl(label: string | null, opts: HttpUrlOptions) {
  const field = label === null ? "" : `${label} `;
  return z
    .string()
    .max(2048)
    .superRefine((v, ctx) => {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        ctx.addIssue({ code: "custom", message: `${field}is not a valid absolute URL` });
        return;
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        ctx.addIssue({ code: "custom", message: `${field}must use http or https, not '${url.protocol.replace(/:$/, "")}'` });
      } else if (opts.credentials !== "allow" && (url.username !== "" || url.password !== "")) {
        ctx.addIssue({ code: "custom", message: `${field}must not carry credentials; ${opts.credentials.refused}` });
      }
    });
}
