import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Personal numbers (ID card, bank card) at rest: AES-256-GCM with the record's field name and id as
 * associated data (a ciphertext copied to another row or field does not decrypt), the key id stored in
 * the ciphertext so keys can rotate, and a keyed hash (HMAC-SHA256 under a separate key) to find a
 * record by its number without decrypting anything.
 */

const FORMAT = 'pd1';
/** The format tag every stored value starts with (`pd1.<keyId>.<iv>.<data>`). */
export const STORED_FORMAT = FORMAT;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export class PersonalDataKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersonalDataKeyError';
  }
}

export interface KeyringConfig {
  /** `id:base64key,id:base64key`: every key that may have encrypted stored data; each 32 bytes. */
  keys: string;
  /** The key id new data is encrypted with. */
  activeKeyId: string;
  /** Base64 key (at least 32 bytes) for the lookup hash; never rotated without re-hashing. */
  hashKey: string;
}

/** Parses and checks the configuration, reporting every problem at once. */
export function parseKeyring(config: KeyringConfig): {
  keys: Map<string, Buffer>;
  activeKeyId: string;
  hashKey: Buffer;
} {
  const problems: string[] = [];
  const keys = new Map<string, Buffer>();
  for (const part of config.keys
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [id, b64, ...rest] = part.split(':');
    if (!id || !b64 || rest.length || !KEY_ID.test(id)) {
      problems.push(`"${part.slice(0, 8)}..." is not id:base64key`);
      continue;
    }
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32)
      problems.push(`key ${id} is ${key.length} bytes; AES-256 needs 32 (openssl rand -base64 32)`);
    else if (keys.has(id)) problems.push(`key ${id} is listed twice`);
    else keys.set(id, key);
  }
  if (keys.size === 0 && problems.length === 0) problems.push('no keys given');
  if (!keys.has(config.activeKeyId))
    problems.push(`the active key "${config.activeKeyId}" is not among the keys`);
  const hashKey = Buffer.from(config.hashKey ?? '', 'base64');
  if (hashKey.length < 32) problems.push('the hash key must be at least 32 bytes (openssl rand -base64 32)');
  if (problems.length)
    throw new PersonalDataKeyError(`personal-data keys are not usable: ${problems.join('; ')}`);
  return { keys, activeKeyId: config.activeKeyId, hashKey };
}

/** The key id of a stored value, or undefined if it is not in the pd1 format. Needs no key. */
export function storedKeyId(stored: string): string | undefined {
  const [format, keyId, iv, body, ...rest] = stored.split('.');
  return format === FORMAT && keyId && iv && body && rest.length === 0 ? keyId : undefined;
}

export class PersonalDataVault {
  private readonly keys: Map<string, Buffer>;
  private readonly activeKeyId: string;
  private readonly hashKey: Buffer;

  constructor(config: KeyringConfig) {
    const parsed = parseKeyring(config);
    this.keys = parsed.keys;
    this.activeKeyId = parsed.activeKeyId;
    this.hashKey = parsed.hashKey;
  }

  /** `context` binds the ciphertext to where it is stored, e.g. `worker:<id>:idCardNumber`. */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.activeKeyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(stored: string, context: string): string {
    const [format, keyId, ivText, bodyText, ...rest] = stored.split('.');
    if (format !== FORMAT || !keyId || !ivText || !bodyText || rest.length) {
      throw new PersonalDataKeyError('stored value is not in the pd1 format');
    }
    const key = this.keys.get(keyId);
    if (!key)
      throw new PersonalDataKeyError(
        `stored value was encrypted with key "${keyId}", which is not configured`,
      );
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new PersonalDataKeyError('stored value failed authentication (wrong record, field or key)');
    }
  }

  /** The key id a stored value was encrypted with (to find what needs re-encrypting after a rotation). */
  keyIdOf(stored: string): string {
    return storedKeyId(stored) ?? '';
  }

  /** The key new values are encrypted with (PII_ACTIVE_KEY_ID): the one a rotation moves values to. */
  get currentKeyId(): string {
    return this.activeKeyId;
  }

  /** Every key id configured (that values stored under it can be read). */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Whether values stored under this key id can be read. */
  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  needsRotation(stored: string): boolean {
    return storedKeyId(stored) !== this.activeKeyId;
  }

  /** Re-encrypts under the active key. */
  rotate(stored: string, context: string): string {
    return this.encrypt(this.decrypt(stored, context), context);
  }

  /**
   * Keyed hash for lookups, with a domain tag so an ID number and a bank card number never collide.
   * Normalises case and surrounding spaces (an ID ending in x and X is the same person).
   */
  lookupHash(kind: 'id-card' | 'bank-card' | 'phone', value: string): string {
    return createHmac('sha256', this.hashKey).update(`${kind}\n${value.trim().toUpperCase()}`).digest('hex');
  }
}
