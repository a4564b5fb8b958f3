/** What an inbound body read under a cap yields (readCapped). */
export interface CappedBody {
  bytes: Uint8Array;
  /** Bytes seen; for an over-limit body this stops just past the limit. */
  total: number;
  truncated: boolean;
  /** The body ended early: the connection carrying it was lost before its last byte. */
  incomplete: boolean;
}

/**
 * Reads at most `limit` bytes, so an oversized body costs us bounded memory. A
 * body whose connection is lost midway is not our failure: it is answered as the
 * client's (413 if its declared length was over the limit anyway, else 400), never 500.
 */
export async function readCapped(req: Request, limit: number): Promise<CappedBody> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const overDeclared = Number.isFinite(declared) && declared > limit;
  // A declared length frames the body, so one within the limit is read whole (the chunked read below cost ~5% of ingest CPU).
  if (Number.isInteger(declared) && declared >= 0 && declared <= limit) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await req.arrayBuffer());
    } catch {
      return { bytes: new Uint8Array(0), total: 0, truncated: false, incomplete: true };
    }
    // The header is a claim, not the framing, for a caller inside the runtime: the limit still holds.
    if (bytes.length > limit) return { bytes: bytes.subarray(0, limit), total: bytes.length, truncated: true, incomplete: false };
    return { bytes, total: bytes.length, truncated: false, incomplete: false };
  }
  const reader = req.body?.getReader();
  if (!reader) return { bytes: new Uint8Array(0), total: 0, truncated: false, incomplete: false };
  const out = new Uint8Array(Math.min(limit, Number.isFinite(declared) && declared >= 0 ? declared : limit));
  let buf = out;
  let used = 0;
  let total = 0;
  let incomplete = false;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The local host's proxy and a real edge both surface a lost upload as a read error ("Network connection lost").
      incomplete = true;
      break;
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.length;
    const room = limit - used;
    if (room > 0) {
      const take = value.subarray(0, room);
      if (used + take.length > buf.length) {
        const grown = new Uint8Array(Math.min(limit, Math.max(buf.length * 2, used + take.length)));
        grown.set(buf.subarray(0, used));
        buf = grown;
      }
      buf.set(take, used);
      used += take.length;
    }
    if (total > limit) {
      // The answer is already known (413); a cancel the runtime refuses, because the upload
      // was cut or errored meanwhile, must not turn it into a 500.
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return {
    bytes: buf.subarray(0, used),
    total: Number.isFinite(declared) && declared > total ? declared : total,
    // A body declared over the limit is too large whether or not its upload finished.
    truncated: total > limit || (incomplete && overDeclared),
    incomplete,
  };
}
