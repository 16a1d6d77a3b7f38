import { createHash } from 'node:crypto';
import { Database, Sql } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { deviceScopeSql } from '../devices/device-repository';

export interface Photo {
  bytes: Buffer;
  contentType: string;
}

const REF = /^sha256:([0-9a-f]{64})$/;

/** `sha256:<hex>` of some bytes: how punches and commands refer to a photo. */
export function photoRef(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex digest of a reference (or of a bare digest), or undefined when it is neither. */
export function photoDigest(refOrDigest: string): string | undefined {
  if (/^[0-9a-f]{64}$/.test(refOrDigest)) return refOrDigest;
  return REF.exec(refOrDigest)?.[1];
}

/** What the bytes look like, by their first bytes (devices label parts carelessly). */
export function sniffImageType(bytes: Buffer, declared?: string): string {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  return declared && /^image\/[a-z0-9.+-]+$/i.test(declared)
    ? declared.toLowerCase()
    : 'application/octet-stream';
}

/**
 * Photos kept content-addressed: the same picture sent twice (a resend) is stored once. A photo larger
 * than the limit is not stored (the punch is still accepted); photos not used for the retention period
 * are deleted by `purge`.
 */
export class PhotoStore {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
    readonly maxBytes: number,
  ) {}

  async put(bytes: Buffer, contentType: string, tx?: Sql): Promise<{ ref?: string; tooLarge?: boolean }> {
    if (bytes.length === 0) return {};
    if (bytes.length > this.maxBytes) return { tooLarge: true };
    const ref = photoRef(bytes);
    await (tx ?? this.db).execute(
      `INSERT INTO ${this.schema}.photos (sha256, content_type, size, bytes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sha256) DO UPDATE SET last_used_at = now()`,
      [photoDigest(ref), sniffImageType(bytes, contentType), bytes.length, bytes],
    );
    return { ref };
  }

  async get(refOrDigest: string): Promise<Photo | undefined> {
    const digest = photoDigest(refOrDigest);
    if (!digest) return undefined;
    const [row] = await this.db.query<{ bytes: Buffer; content_type: string }>(
      `SELECT bytes, content_type FROM ${this.schema}.photos WHERE sha256 = $1`,
      [digest],
    );
    return row && { bytes: row.bytes, contentType: row.content_type };
  }

  /**
   * A photo for a caller of the admin API: only one a device in the caller's scope took (a punch
   * snapshot, linked by the punch's record or by a photo that came apart from it). Photos stored for
   * other reasons (workers' faces fetched from the registry for the gates) are not found here; the
   * registry serves those itself.
   */
  async getInScope(refOrDigest: string, scope: CallerScope): Promise<Photo | undefined> {
    const digest = photoDigest(refOrDigest);
    if (!digest) return undefined;
    const params: unknown[] = [digest, `sha256:${digest}`];
    const inScope = deviceScopeSql(scope, params);
    const [row] = await this.db.query<{ bytes: Buffer; content_type: string }>(
      `SELECT p.bytes, p.content_type FROM ${this.schema}.photos p
        WHERE p.sha256 = $1 AND EXISTS (
          SELECT 1 FROM ${this.schema}.devices d
           WHERE ${inScope} AND (
             EXISTS (SELECT 1 FROM ${this.schema}.device_records r WHERE r.photo_ref = $2 AND r.device_id = d.device_id)
             OR EXISTS (SELECT 1 FROM ${this.schema}.punch_photos pp WHERE pp.photo_ref = $2 AND pp.device_id = d.device_id)))`,
      params,
    );
    return row && { bytes: row.bytes, contentType: row.content_type };
  }

  /** Marks a photo as still in use (e.g. queued for a device), so that retention keeps it. */
  async touch(refOrDigest: string): Promise<void> {
    const digest = photoDigest(refOrDigest);
    if (digest)
      await this.db.execute(`UPDATE ${this.schema}.photos SET last_used_at = now() WHERE sha256 = $1`, [
        digest,
      ]);
  }

  /** Deletes photos unused for `retentionDays`; returns how many went. */
  async purge(retentionDays: number): Promise<number> {
    const rows = await this.db.query<{ sha256: string }>(
      `DELETE FROM ${this.schema}.photos WHERE last_used_at < now() - make_interval(days => $1) RETURNING sha256`,
      [retentionDays],
    );
    return rows.length;
  }
}
