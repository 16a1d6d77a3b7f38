import { identifier, Sql } from '@realname/eventstore';
import type { PersonalDataVault } from '@realname/personal-data';
import { NationalCredentials, ProvinceBCredentials, ProvinceBCredentialsInput } from '@realname/uplinks';
import { uplinkTarget } from './targets';

/** National-style credentials (the national platform and Zhejiang V2.0): appid, secret, enterprise key. */
export interface CredentialsInput {
  readonly appid: string;
  readonly secret: string;
  readonly corpKey?: string;
}

/** Any target's credentials as entered; which shape a target takes is said in `targets.ts`. */
export type TargetCredentialsInput = CredentialsInput | ProvinceBCredentialsInput;

interface StoredRow {
  appid: string;
  secret_encrypted: string;
  corp_key_encrypted: string | null;
  version: number;
}

/**
 * Each project's credentials per target, the secret and enterprise key encrypted at rest with the
 * personal-data keyring; `put` replaces them (a rotation) and bumps the version. One table for every
 * target: its public identifier (national `appid`, Province B `appKey`) in `appid`, its secret in
 * `secret_encrypted`, the national enterprise key in `corp_key_encrypted`.
 */
export class UplinkCredentialsRepository {
  private readonly t: string;

  constructor(
    schema: string,
    private readonly vault: PersonalDataVault,
  ) {
    this.t = `${identifier(schema)}.uplink_credentials`;
  }

  async put(sql: Sql, target: string, projectId: string, input: TargetCredentialsInput): Promise<void> {
    // Refuse unusable credentials, or another target's shape, when they are entered, not at the first upload.
    const shape = uplinkTarget(target).credentials;
    let id: string;
    let corpKey: string | undefined;
    if (shape === 'app-key-secret') {
      if (!('appKey' in input))
        throw new Error(`${target} credentials are an appKey and a secret, not an appid: enter the app key`);
      id = new ProvinceBCredentials(input).appKey;
    } else {
      if (!('appid' in input))
        throw new Error(
          `${target} credentials are an appid and a secret (and the enterprise key), not an appKey`,
        );
      id = new NationalCredentials(input).appid;
      corpKey = input.corpKey;
    }
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
        id,
        this.vault.encrypt(input.secret, `uplink:${target}:${projectId}:secret`),
        corpKey === undefined ? null : this.vault.encrypt(corpKey, `uplink:${target}:${projectId}:corpKey`),
      ],
    );
  }

  /** What is stored for the project and target, without its secrets (the admin API's answer). */
  async state(
    sql: Sql,
    target: string,
    projectId: string,
  ): Promise<{ appid: string; hasCorpKey: boolean; version: number; updatedAt: Date } | undefined> {
    const rows = await sql.query<{ appid: string; has_corp_key: boolean; version: number; updated_at: Date }>(
      `SELECT appid, corp_key_encrypted IS NOT NULL AS has_corp_key, version, updated_at FROM ${this.t}
        WHERE target = $1 AND project_id = $2`,
      [target, projectId],
    );
    const r = rows[0];
    return r && { appid: r.appid, hasCorpKey: r.has_corp_key, version: r.version, updatedAt: r.updated_at };
  }

  private async stored(sql: Sql, target: string, projectId: string): Promise<StoredRow | undefined> {
    const rows = await sql.query<StoredRow>(
      `SELECT appid, secret_encrypted, corp_key_encrypted, version FROM ${this.t}
        WHERE target = $1 AND project_id = $2`,
      [target, projectId],
    );
    return rows[0];
  }

  /** The project's national-style credentials with their version, or undefined when none are stored. */
  async national(
    sql: Sql,
    target: string,
    projectId: string,
  ): Promise<{ credentials: NationalCredentials; version: number } | undefined> {
    const r = await this.stored(sql, target, projectId);
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

  /** The project's Province B credentials (app key and secret) with their version, or undefined. */
  async provinceB(
    sql: Sql,
    target: string,
    projectId: string,
  ): Promise<{ credentials: ProvinceBCredentials; version: number } | undefined> {
    const r = await this.stored(sql, target, projectId);
    if (!r) return undefined;
    return {
      version: r.version,
      credentials: new ProvinceBCredentials({
        appKey: r.appid,
        secret: this.vault.decrypt(r.secret_encrypted, `uplink:${target}:${projectId}:secret`),
      }),
    };
  }
}
