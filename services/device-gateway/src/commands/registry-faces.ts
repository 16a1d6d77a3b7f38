import type { Sql } from '@realname/eventstore';
import type { ClientCredentials, JsonLogger } from '@realname/platform';
import type { PhotoStore } from '../photos/photo-store';
import type { FaceSource } from './gate-persons';

/**
 * Faces from the worker registry (`GET /api/v1/workers/{id}/head-photo` with the gateway's own access
 * token: client credentials, role internal-service), stored in the gateway's PhotoStore so that every
 * family can hand them to its devices. When the registry or the issuer cannot be reached the person is
 * still pushed, without a face (card and PIN keep working), and a warning is logged; a later resync of
 * the device brings the face.
 */
export class RegistryFaces implements FaceSource {
  constructor(
    private readonly photos: PhotoStore,
    private readonly registry: { url?: string; credentials?: ClientCredentials },
    private readonly logger: JsonLogger,
    private readonly timeoutMs = 5_000,
  ) {}

  async faceOf(workerId: string, sql: Sql): Promise<string | undefined> {
    const { url, credentials } = this.registry;
    if (!url || !credentials) return undefined;
    try {
      const fetchFace = async () =>
        fetch(`${url}/api/v1/workers/${encodeURIComponent(workerId)}/head-photo`, {
          // Bounded like the fetch: an issuer that is away must not hold the consumer's transaction.
          headers: { authorization: await credentials.authorization(AbortSignal.timeout(this.timeoutMs)) },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      let res = await fetchFace();
      if (res.status === 401) {
        // A token the registry no longer takes (revoked, keys rotated): a new one, once.
        await res.body?.cancel();
        credentials.invalidate();
        res = await fetchFace();
      }
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`registry answered ${res.status}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      const put = await this.photos.put(bytes, res.headers.get('content-type') ?? 'image/jpeg', sql);
      if (put.tooLarge)
        this.logger.event('warn', 'head photo larger than the photo limit: pushed without a face', {
          workerId,
        });
      return put.ref;
    } catch (err) {
      this.logger.event('warn', 'head photo not available from the registry: pushed without a face', {
        workerId,
        error: String(err),
      });
      return undefined;
    }
  }
}
