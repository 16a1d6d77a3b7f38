import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PersonalDataVault } from '@realname/personal-data';

/** The stored form of an encrypted secret (libs/personal-data): `pd1.<keyId>.<iv>.<ciphertext+tag>`. */
const ENCRYPTED = /^pd1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface DeviceSecretKeys {
  /** `id:base64key,...`: every key that may have encrypted a stored secret; each 32 bytes. */
  keys: string;
  /** The key id new secrets are encrypted with. */
  activeKeyId: string;
}

/** SHA-256 (hex) of a path token: what the gateway stores instead of the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a stored token value is already a hash (and not a token kept in the clear by an old version). */
export function isTokenHash(stored: string): boolean {
  return SHA256_HEX.test(stored);
}

/** A fresh path token or HMAC secret: 32 random bytes, base64url (43 characters). */
export function newCredential(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Device credentials at rest: open-v1 HMAC secrets encrypted with AES-256-GCM under the gateway's keys
 * (the personal-data vault: key id stored with each value, so keys can rotate; the device id bound as
 * associated data, so a ciphertext copied to another device does not decrypt), path tokens kept only as
 * their SHA-256 and compared in constant time.
 */
export class DeviceCredentials {
  private readonly vault: PersonalDataVault;

  constructor(keys: DeviceSecretKeys) {
    // The vault also derives lookup hashes; device secrets need none, so its hash key is never used.
    // It is given a fresh random key rather than one of the encryption keys.
    this.vault = new PersonalDataVault({
      keys: keys.keys,
      activeKeyId: keys.activeKeyId,
      hashKey: randomBytes(32).toString('base64'),
    });
  }

  encryptSecret(deviceId: string, secret: string): string {
    return this.vault.encrypt(secret, context(deviceId));
  }

  /** The secret, or undefined when the stored value cannot be decrypted (wrong key, another device's). */
  decryptSecret(deviceId: string, stored: string): string | undefined {
    if (!isEncrypted(stored)) return undefined;
    try {
      return this.vault.decrypt(stored, context(deviceId));
    } catch {
      return undefined;
    }
  }

  /**
   * What a stored secret should become at start: encrypted when an older version kept it in the clear,
   * re-encrypted when it is under a key that is no longer the active one; undefined when it is fine.
   */
  upgradeSecret(deviceId: string, stored: string): string | undefined {
    if (!isEncrypted(stored)) return this.encryptSecret(deviceId, stored);
    if (this.vault.needsRotation(stored)) return this.vault.rotate(stored, context(deviceId));
    return undefined;
  }

  /** Constant-time comparison of a presented token with the stored hash; false when there is none. */
  tokenMatches(tokenHash: string | undefined, token: string): boolean {
    if (!tokenHash || !isTokenHash(tokenHash)) return false;
    const a = Buffer.from(tokenHash, 'hex');
    const b = createHash('sha256').update(token, 'utf8').digest();
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function isEncrypted(stored: string): boolean {
  return ENCRYPTED.test(stored);
}

function context(deviceId: string): string {
  return `device:${deviceId}:secret`;
}
