import type { Sql } from '@realname/eventstore';
import type { JsonLogger } from '@realname/platform';
import type { PhotoStore } from '../photos/photo-store';
import type { FaceSource } from './gate-persons';

/**
 * Faces from the worker registry (`GET /api/v1/workers/{id}/head-photo` with a photo token), stored in
 * the gateway's PhotoStore so that every family can hand them to its devices. When the registry
 * cannot be reached the person is still pushed, without a face (card and PIN keep working), and a
 * warning is logged; a later resync of the device brings the face.
 */
export class RegistryFaces implements FaceSource {
  constructor(
    private readonly photos: PhotoStore,
    private readonly registry: { url?: string; token?: string },
    private readonly logger: JsonLogger,
    private readonly timeoutMs = 5_000,
  ) {}

  async faceOf(workerId: string, sql: Sql): Promise<string | undefined> {
    if (!this.registry.url || !this.registry.token) return undefined;
    try {
      const res = await fetch(
        `${this.registry.url}/api/v1/workers/${encodeURIComponent(workerId)}/head-photo`,
        {
          headers: { authorization: `Bearer ${this.registry.token}` },
          signal: AbortSignal.timeout(this.timeoutMs),
        },
      );
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
