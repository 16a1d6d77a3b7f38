/**
 * One project's credentials on the national platform (each project has its own appid and secret). The
 * secret lives in a private field and is only ever used, never returned, printed or serialised.
 */
import { inspect } from 'node:util';
import { JsonValue } from '../uplink';
import {
  decryptSensitiveFields,
  encryptField,
  encryptSensitiveFields,
  FieldCipherError,
} from './field-cipher';
import { nationalSignature } from './signature';

export interface NationalCredentialsInput {
  /** Usually the project's code. */
  readonly appid: string;
  /** The project's 32-character secret. */
  readonly secret: string;
  /** Enterprise key for the optional `corpsign` field, when the platform issued one. */
  readonly corpKey?: string;
}

export class NationalCredentials {
  readonly appid: string;
  readonly #secret: string;
  readonly #corpKey: string | undefined;

  constructor(input: NationalCredentialsInput) {
    if (!input.appid) throw new Error('the appid is empty');
    if (Buffer.byteLength(input.secret, 'utf8') !== 32) {
      // The secret is both the AES-256 key and the IV source, so any other length cannot work.
      throw new FieldCipherError(`the secret of appid ${input.appid} must be 32 bytes long`);
    }
    this.appid = input.appid;
    this.#secret = input.secret;
    this.#corpKey = input.corpKey;
  }

  get hasCorpKey(): boolean {
    return this.#corpKey !== undefined;
  }

  sign(fields: Readonly<Record<string, string>>): string {
    return nationalSignature(fields, this.#secret);
  }

  /** `corpsign`: the enterprise key followed by the call's timestamp, encrypted like a field. */
  corpSign(timestamp: string): string {
    if (this.#corpKey === undefined) throw new Error(`appid ${this.appid} has no enterprise key`);
    return encryptField(`${this.#corpKey}${timestamp}`, this.#secret);
  }

  encryptPayload(value: JsonValue): JsonValue {
    return encryptSensitiveFields(value, this.#secret);
  }

  decryptPayload(value: JsonValue): JsonValue {
    return decryptSensitiveFields(value, this.#secret);
  }

  toJSON(): { appid: string; secret: string } {
    return { appid: this.appid, secret: '[redacted]' };
  }

  [inspect.custom](): string {
    return `NationalCredentials { appid: '${this.appid}', secret: [redacted] }`;
  }
}
