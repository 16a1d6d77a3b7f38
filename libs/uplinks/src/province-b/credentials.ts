/**
 * One project's credentials on the representative "Province B" uplink (see signature.ts): an app key
 * and a secret that only signs, never returned, printed or serialised.
 */
import { inspect } from 'node:util';
import { provinceBSignature } from './signature';

export interface ProvinceBCredentialsInput {
  readonly appKey: string;
  readonly secret: string;
}

export class ProvinceBCredentials {
  readonly appKey: string;
  readonly #secret: string;

  constructor(input: ProvinceBCredentialsInput) {
    if (!input.appKey) throw new Error('the app key is empty');
    // An empty secret would sign with "&key=" alone, which any caller could forge.
    if (!input.secret) throw new Error(`the secret of app key ${input.appKey} is empty`);
    this.appKey = input.appKey;
    this.#secret = input.secret;
  }

  sign(fields: Readonly<Record<string, string>>): string {
    return provinceBSignature(fields, this.#secret);
  }

  toJSON(): { appKey: string; secret: string } {
    return { appKey: this.appKey, secret: '[redacted]' };
  }

  [inspect.custom](): string {
    return `ProvinceBCredentials { appKey: '${this.appKey}', secret: [redacted] }`;
  }
}
