import { RegistryApi } from '@realname/contracts';
import type { ClientCredentials, JsonLogger } from '@realname/platform';
import type { IdentityAnswer, IdentitySource } from './identity-source';

/** Recorded with every reveal in the registry's audit trail (`identity_reveals.purpose`). */
export const REVEAL_PURPOSE = 'upload to the national/provincial platform (reporting)';

/** The registry registers resident ID cards only: the platforms' code `01`. */
export const RESIDENT_ID_CARD = '01';

/** Workers warned about as unknown, kept so each is logged once; cleared when it grows this large. */
const MAX_WARNED = 10_000;

/**
 * Workers' ID numbers and head images from the worker registry, as reporting's own OAuth client (client
 * credentials; role `internal-service` with the `reveal-identity` permission, docs/access.md):
 * `GET /api/v1/workers/{id}/head-photo` (base64; none → no head image), then
 * `POST /api/v1/workers/{id}/identity-reveals` with a purpose (audited in the registry, reporting as the
 * actor). Each request is bounded by `timeoutMs`,
 * its token too; a 401 gets a new token, once. A worker the registry does not know or does not show
 * reporting (404) is `unknown`, warned about once; anything else that fails (registry or issuer away,
 * 5xx, 403, a timeout) is `unavailable` and the worker is asked about again later. No ID number is ever
 * logged or put in a detail.
 */
export class RegistryIdentities implements IdentitySource {
  private readonly warnedUnknown = new Set<string>();
  private away = false;

  constructor(
    private readonly registry: { url: string; credentials: ClientCredentials },
    private readonly logger: JsonLogger,
    private readonly timeoutMs = 5_000,
  ) {}

  async identityOf(workerId: string): Promise<IdentityAnswer> {
    try {
      // The photo first: a photo that cannot be had now leaves no audited reveal behind to repeat.
      const photo = await this.request(workerId, 'head-photo', {});
      let headImage: string | undefined;
      if (photo.status === 404) await photo.body?.cancel();
      else if (!photo.ok) throw new Error(await this.refusal('the head photo', photo));
      else headImage = Buffer.from(await photo.arrayBuffer()).toString('base64');

      const revealed = await this.request(workerId, 'identity-reveals', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ purpose: REVEAL_PURPOSE }),
      });
      if (revealed.status === 404) {
        await revealed.body?.cancel();
        this.reachable();
        return this.unknown(workerId);
      }
      if (!revealed.ok) throw new Error(await this.refusal('the identity reveal', revealed));
      const parsed = RegistryApi.RevealedIdentity.safeParse(await revealed.json().catch(() => undefined));
      // The answer holds the number: never quoted, not even in part.
      if (!parsed.success) throw new Error('the registry answered the identity reveal without an ID number');
      this.reachable();
      return {
        outcome: 'found',
        identity: {
          idCardType: RESIDENT_ID_CARD,
          idCardNumber: parsed.data.idCardNumber,
          ...(headImage === undefined ? {} : { headImage }),
          // Zhejiang V2.0 asks for the card's validity (cardDate): handed over when the registry holds it.
          ...(parsed.data.idValidFrom && parsed.data.idValidTo
            ? { validity: { from: parsed.data.idValidFrom, to: parsed.data.idValidTo } }
            : {}),
        },
      };
    } catch (err) {
      const detail = `worker registry: ${err instanceof Error ? err.message : String(err)}`;
      if (!this.away)
        this.logger.event(
          'warn',
          'worker registry unavailable: records of workers without an identity wait',
          {
            workerId,
            error: detail,
          },
        );
      this.away = true;
      return { outcome: 'unavailable', detail };
    }
  }

  /** One call with the client's token; a 401 (revoked, keys rotated) gets a new token, once. */
  private async request(workerId: string, path: string, init: RequestInit): Promise<Response> {
    const { url, credentials } = this.registry;
    const send = async () =>
      fetch(`${url.replace(/\/+$/, '')}/api/v1/workers/${encodeURIComponent(workerId)}/${path}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          // Bounded like the call: an issuer that is away must not hold the sender's round.
          authorization: await credentials.authorization(AbortSignal.timeout(this.timeoutMs)),
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    let res = await send();
    if (res.status === 401) {
      await res.body?.cancel();
      credentials.invalidate();
      res = await send();
    }
    return res;
  }

  /** Why a call failed, for a person: the status and what to do about a 401/403 (no body quoted). */
  private async refusal(what: string, res: Response): Promise<string> {
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403)
      return (
        `${what} was refused (${res.status}): reporting's client (OIDC_CLIENT_ID) needs the role ` +
        'internal-service and the permission reveal-identity in the province scope (docs/access.md)'
      );
    return `${what} answered ${res.status}`;
  }

  private unknown(workerId: string): IdentityAnswer {
    if (!this.warnedUnknown.has(workerId)) {
      if (this.warnedUnknown.size >= MAX_WARNED) this.warnedUnknown.clear();
      this.warnedUnknown.add(workerId);
      this.logger.event(
        'warn',
        "worker not known to the worker registry, or outside reporting's scope: its records wait for its identity",
        { workerId, waitingFor: `identity:${workerId}` },
      );
    }
    return { outcome: 'unknown' };
  }

  private reachable(): void {
    if (this.away) this.logger.event('info', 'worker registry reachable again: identities are fetched');
    this.away = false;
  }
}
