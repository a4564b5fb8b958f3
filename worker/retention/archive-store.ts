import { sha256Hex, toHex } from "../../domain/crypto";

/**
 * R2 writes the retention job can trust before it deletes anything: every
 * object is put with its SHA-256 (R2 refuses a body that does not match) and
 * read back by head, whose size and echoed checksum must equal what was sent.
 * An object already there with the same checksum is not written again, so a
 * re-run after a crash costs reads, not writes.
 */

export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function gunzip(bytes: ArrayBuffer): Promise<string> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

function matches(head: R2Object | null, size: number, sha256: string): boolean {
  const echoed = head?.checksums.sha256;
  return head !== null && head.size === size && echoed !== undefined && toHex(new Uint8Array(echoed)) === sha256;
}

export async function putVerified(bucket: R2Bucket, key: string, body: Uint8Array, contentType: string): Promise<{ bytes: number; sha256: string }> {
  const sha256 = await sha256Hex(body);
  if (matches(await bucket.head(key), body.byteLength, sha256)) return { bytes: body.byteLength, sha256 };
  await bucket.put(key, body, { sha256, httpMetadata: { contentType } });
  if (!matches(await bucket.head(key), body.byteLength, sha256)) {
    throw new Error(`archive object ${key} did not read back with size ${body.byteLength} and sha256 ${sha256}`);
  }
  return { bytes: body.byteLength, sha256 };
}

/** Objects under `prefix` that are not in `keep`: parts a shorter re-run no longer lists. */
export async function deleteStale(bucket: R2Bucket, prefix: string, keep: ReadonlySet<string>): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
    const stale = page.objects.map((o) => o.key).filter((k) => !keep.has(k));
    if (stale.length > 0) await bucket.delete(stale);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
}
