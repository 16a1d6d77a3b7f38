import type { KeyringConfig } from './keyring';

/** The kinds of lookup hash (`PersonalDataVault.lookupHash`), each with its own domain tag. */
export type LookupHashKind = 'id-card' | 'bank-card' | 'phone';

/**
 * The names of the environment variables a service reads its keyring from. The worker registry's are
 * the default (`PII_*`); a service with its own keyring (its own variables) names them in its
 * declaration, and the operator commands read the same variables.
 */
export interface KeyringVariables {
  /** `id:base64key,...` (KeyringConfig.keys). */
  keys: string;
  /** The id of the key new values are encrypted with (KeyringConfig.activeKeyId). */
  activeKeyId: string;
  /** The lookup-hash key (KeyringConfig.hashKey); only needed where the table has lookup hashes. */
  hashKey?: string;
}

export const PII_KEYRING_VARIABLES: KeyringVariables = {
  keys: 'PII_KEYS',
  activeKeyId: 'PII_ACTIVE_KEY_ID',
  hashKey: 'PII_HASH_KEY',
};

/**
 * One column holding values encrypted by `PersonalDataVault.encrypt`, declared by the service that owns
 * the table (`services/<service>/src/personal-data-columns.ts`, exporting `personalDataColumns`), so
 * that the operator commands (`ops keys status`, `ops keys rotate`) find every encrypted value without
 * depending on the service. Each value must be a text column (NULL allowed: nothing stored).
 */
export interface EncryptedColumn {
  /** The owning service (for the operator's `--service` choice and the summaries). */
  service: string;
  /** The service's default DATABASE_SCHEMA. */
  defaultSchema: string;
  table: string;
  /** The column holding `pd1.<keyId>.<iv>.<data>`. */
  column: string;
  /** The primary key's columns: a row is read in key order and updated by its key. */
  key: string[];
  /**
   * The associated data the value was encrypted with, from the row's key (each key column as text);
   * must be exactly what the service passes to `encrypt`/`decrypt`.
   */
  context: (key: Record<string, string>) => string;
  /**
   * The keyed lookup hash kept beside the value, if any. Rotating the encryption key leaves it as it is
   * (it is computed from the plaintext with the hash key, which the rotation does not change).
   */
  lookupHash?: { column: string; kind: LookupHashKind };
  /** Where the keyring comes from; default PII_KEYRING_VARIABLES. */
  keyring?: KeyringVariables;
}

/** The keyring configuration a declaration's variables give, or which variables are missing. */
export function keyringFromEnvironment(
  variables: KeyringVariables,
  env: Record<string, string | undefined>,
): { config: Omit<KeyringConfig, 'hashKey'> & { hashKey?: string }; missing: string[] } {
  const get = (name: string | undefined) => (name ? env[name]?.trim() || undefined : undefined);
  const keys = get(variables.keys);
  const activeKeyId = get(variables.activeKeyId);
  const missing = [...(keys ? [] : [variables.keys]), ...(activeKeyId ? [] : [variables.activeKeyId])];
  return {
    config: { keys: keys ?? '', activeKeyId: activeKeyId ?? '', hashKey: get(variables.hashKey) },
    missing,
  };
}
