import { identifier, Sql } from '@realname/eventstore';
import type { PersonalDataVault } from '@realname/personal-data';

/** What an uplink needs to name a worker: the ID document and the head image the platform shows. */
export interface WorkerIdentity {
  readonly idCardType: string;
  readonly idCardNumber: string;
  readonly headImage?: string;
  /**
   * The ID's validity, `yyyy-MM-dd` to `yyyy-MM-dd` (or `长期` for a card without end), when known:
   * Zhejiang V2.0 requires it on the worker upload (`cardDate`).
   */
  readonly validity?: { readonly from: string; readonly to: string };
}

/**
 * Workers' ID numbers and head images, encrypted at rest with the personal-data keyring (the contexts
 * are declared in personal-data-columns.ts). Registry events carry only the masked number and a keyed
 * hash, so these rows are written through `put`, by whatever hands reporting the clear values.
 */
export class WorkerIdentitiesRepository {
  private readonly t: string;

  constructor(
    schema: string,
    private readonly vault: PersonalDataVault,
  ) {
    this.t = `${identifier(schema)}.worker_identities`;
  }

  async put(sql: Sql, workerId: string, identity: WorkerIdentity): Promise<void> {
    await sql.execute(
      `INSERT INTO ${this.t} (worker_id, id_card_type, id_encrypted, head_image_encrypted, validity_encrypted)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (worker_id) DO UPDATE
         SET id_card_type = EXCLUDED.id_card_type, id_encrypted = EXCLUDED.id_encrypted,
             head_image_encrypted = EXCLUDED.head_image_encrypted,
             validity_encrypted = EXCLUDED.validity_encrypted, updated_at = now()`,
      [
        workerId,
        identity.idCardType,
        this.vault.encrypt(identity.idCardNumber, `worker:${workerId}:idCardNumber`),
        identity.headImage === undefined
          ? null
          : this.vault.encrypt(identity.headImage, `worker:${workerId}:headImage`),
        identity.validity === undefined
          ? null
          : this.vault.encrypt(JSON.stringify(identity.validity), `worker:${workerId}:validity`),
      ],
    );
  }

  /** The identities known of these workers; a worker absent from the map is not known yet. */
  async resolve(sql: Sql, workerIds: readonly string[]): Promise<Map<string, WorkerIdentity>> {
    if (workerIds.length === 0) return new Map();
    const rows = await sql.query<{
      worker_id: string;
      id_card_type: string;
      id_encrypted: string;
      head_image_encrypted: string | null;
      validity_encrypted: string | null;
    }>(
      `SELECT worker_id, id_card_type, id_encrypted, head_image_encrypted, validity_encrypted
         FROM ${this.t} WHERE worker_id = ANY($1)`,
      [[...new Set(workerIds)]],
    );
    return new Map(
      rows.map((r) => [
        r.worker_id,
        {
          idCardType: r.id_card_type,
          idCardNumber: this.vault.decrypt(r.id_encrypted, `worker:${r.worker_id}:idCardNumber`),
          ...(r.head_image_encrypted === null
            ? {}
            : { headImage: this.vault.decrypt(r.head_image_encrypted, `worker:${r.worker_id}:headImage`) }),
          ...(r.validity_encrypted === null
            ? {}
            : {
                validity: JSON.parse(
                  this.vault.decrypt(r.validity_encrypted, `worker:${r.worker_id}:validity`),
                ) as { from: string; to: string },
              }),
        },
      ]),
    );
  }
}
