import { identifier, Sql } from '@realname/eventstore';
import type { PersonalDataVault } from '@realname/personal-data';
import { NationalCredentials } from '@realname/uplinks';

export interface CredentialsInput {
  readonly appid: string;
  readonly secret: string;
  readonly corpKey?: string;
}

/**
 * Each project's credentials per target, the secret and enterprise key encrypted at rest with the
 * personal-data keyring; `put` replaces them (a rotation) and bumps the version.
 */
export class UplinkCredentialsRepository {
  private readonly t: string;

  constructor(
    schema: string,
    private readonly vault: PersonalDataVault,
  ) {
    this.t = `${identifier(schema)}.uplink_credentials`;
  }

  async put(sql: Sql, target: string, projectId: string, input: CredentialsInput): Promise<void> {
    // Refuse unusable credentials when they are entered, not at the first upload.
    new NationalCredentials(input);
    await sql.execute(
      `INSERT INTO ${this.t} (target, project_id, appid, secret_encrypted, corp_key_encrypted)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (target, project_id) DO UPDATE
         SET appid = EXCLUDED.appid, secret_encrypted = EXCLUDED.secret_encrypted,
             corp_key_encrypted = EXCLUDED.corp_key_encrypted,
             version = ${this.t}.version + 1, updated_at = now()`,
      [
        target,
        projectId,
        input.appid,
        this.vault.encrypt(input.secret, `uplink:${target}:${projectId}:secret`),
        input.corpKey === undefined
          ? null
          : this.vault.encrypt(input.corpKey, `uplink:${target}:${projectId}:corpKey`),
      ],
    );
  }

  /** The project's national-style credentials with their version, or undefined when none are stored. */
  async national(
    sql: Sql,
    target: string,
    projectId: string,
  ): Promise<{ credentials: NationalCredentials; version: number } | undefined> {
    const rows = await sql.query<{
      appid: string;
      secret_encrypted: string;
      corp_key_encrypted: string | null;
      version: number;
    }>(
      `SELECT appid, secret_encrypted, corp_key_encrypted, version FROM ${this.t}
        WHERE target = $1 AND project_id = $2`,
      [target, projectId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      version: r.version,
      credentials: new NationalCredentials({
        appid: r.appid,
        secret: this.vault.decrypt(r.secret_encrypted, `uplink:${target}:${projectId}:secret`),
        ...(r.corp_key_encrypted === null
          ? {}
          : { corpKey: this.vault.decrypt(r.corp_key_encrypted, `uplink:${target}:${projectId}:corpKey`) }),
      }),
    };
  }
}
