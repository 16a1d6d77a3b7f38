/**
 * Field encryption of the national docking protocol: AES-256-CBC, PKCS#7 padding, key = the project
 * secret's 32 bytes, IV = its first 16 characters, standard Base64 output. Applied by field name, at any
 * depth of the payload, to the fields the protocol lists.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { JsonValue } from '../uplink';

/**
 * Fields encrypted inside `data`. The protocol lists `teamLeaderIDNumber` while the Team payload spells
 * it `teamLeaderIdNumber`; both spellings are encrypted so an ID number never travels in clear.
 */
export const NATIONAL_ENCRYPTED_FIELDS: readonly string[] = [
  'idCardNumber',
  'payRollBankCardNumber',
  'payBankCardNumber',
  'pmIDCardNumber',
  'responsiblePersonIDNumber',
  'teamLeaderIDNumber',
  'teamLeaderIdNumber',
  'legalManIDCardNumber',
  'builderLicenseNum',
  'buildPlanNum',
  'prjPlanNum',
  'bankNumber',
];
const ENCRYPTED = new Set(NATIONAL_ENCRYPTED_FIELDS);

export class FieldCipherError extends Error {
  override readonly name = 'FieldCipherError';
}

function keyAndIv(secret: string): { key: Buffer; iv: Buffer } {
  const key = Buffer.from(secret, 'utf8');
  if (key.length !== 32) throw new FieldCipherError('the project secret must be 32 bytes long (AES-256)');
  return { key, iv: key.subarray(0, 16) };
}

export function encryptField(plain: string, secret: string): string {
  const { key, iv } = keyAndIv(secret);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decrypts one value; throws `FieldCipherError` for anything that is not our ciphertext of UTF-8 text. */
export function decryptField(cipherText: string, secret: string): string {
  const { key, iv } = keyAndIv(secret);
  if (!STANDARD_BASE64.test(cipherText)) throw new FieldCipherError('the value is not standard Base64');
  const bytes = Buffer.from(cipherText, 'base64');
  if (bytes.length === 0 || bytes.length % 16 !== 0)
    throw new FieldCipherError('the value is not whole AES blocks');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    plain = Buffer.concat([decipher.update(bytes), decipher.final()]);
  } catch {
    throw new FieldCipherError('the value does not decrypt with this secret');
  }
  try {
    // A wrong key passes the padding check about once in 256 tries; its output is almost never UTF-8.
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw new FieldCipherError('the value does not decrypt with this secret');
  }
}

function transform(value: JsonValue, path: string, apply: (text: string, path: string) => string): JsonValue {
  if (Array.isArray(value))
    return value.map((element, index) => transform(element, `${path}[${index}]`, apply));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: JsonValue } = {};
  for (const [key, field] of Object.entries(value)) {
    const fieldPath = path ? `${path}.${key}` : key;
    if (ENCRYPTED.has(key) && (typeof field === 'string' || typeof field === 'number') && field !== '') {
      out[key] = apply(String(field), fieldPath);
    } else {
      out[key] = transform(field, fieldPath, apply);
    }
  }
  return out;
}

/** A copy of the payload with every listed field encrypted (empty values stay empty). */
export function encryptSensitiveFields(value: JsonValue, secret: string): JsonValue {
  return transform(value, '', (text) => encryptField(text, secret));
}

/** A copy with every listed field decrypted; the error names the field path, never its value. */
export function decryptSensitiveFields(value: JsonValue, secret: string): JsonValue {
  return transform(value, '', (text, path) => {
    try {
      return decryptField(text, secret);
    } catch (error) {
      throw new FieldCipherError(`${path}: ${(error as Error).message}`);
    }
  });
}
