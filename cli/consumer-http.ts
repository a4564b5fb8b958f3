import type { IncomingMessage, ServerResponse } from "node:http";

/** The small HTTP pieces both local consumers (demo and simulator) are built from. */

export const MAX_CONSUMER_BODY_BYTES = 1024 * 1024;

/** The body as text, or null once it passes the limit (the consumer answers 413). */
export async function readBody(req: IncomingMessage, limit = MAX_CONSUMER_BODY_BYTES): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<unknown>) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) return null;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A JSON answer; a no-op once the response has started or the client is gone (a slow reply may outlive its caller). */
export function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
