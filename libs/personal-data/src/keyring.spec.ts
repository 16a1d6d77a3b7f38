import { randomBytes } from 'node:crypto';
import { PersonalDataKeyError, PersonalDataVault, storedKeyId } from './keyring';

const k = () => randomBytes(32).toString('base64');
const k1 = k();
const k2 = k();
const hashKey = k();
const id = '33010620000101000X'; // made up; the vault does not check ID numbers

describe('personal data at rest', () => {
  const vault = new PersonalDataVault({ keys: `k1:${k1}`, activeKeyId: 'k1', hashKey });

  it('encrypts so that the number is not readable and decrypts it back', () => {
    const stored = vault.encrypt(id, 'worker:w1:idCardNumber');
    expect(stored).not.toContain(id);
    expect(stored.startsWith('pd1.k1.')).toBe(true);
    expect(vault.decrypt(stored, 'worker:w1:idCardNumber')).toBe(id);
  });

  it('gives a different ciphertext each time (random IV)', () => {
    expect(vault.encrypt(id, 'c')).not.toBe(vault.encrypt(id, 'c'));
  });

  it('refuses a ciphertext moved to another record or field', () => {
    const stored = vault.encrypt(id, 'worker:w1:idCardNumber');
    expect(() => vault.decrypt(stored, 'worker:w2:idCardNumber')).toThrow(PersonalDataKeyError);
    expect(() => vault.decrypt(stored, 'worker:w1:bankCardNumber')).toThrow(/failed authentication/);
  });

  it('refuses a tampered ciphertext', () => {
    const stored = vault.encrypt(id, 'c');
    const last = stored.slice(-2) === 'AA' ? 'AB' : 'AA';
    expect(() => vault.decrypt(stored.slice(0, -2) + last, 'c')).toThrow(PersonalDataKeyError);
  });

  it('reads data written under an old key after rotation and re-encrypts it under the new one', () => {
    const old = vault.encrypt(id, 'c');
    const rotated = new PersonalDataVault({ keys: `k1:${k1},k2:${k2}`, activeKeyId: 'k2', hashKey });
    expect(rotated.decrypt(old, 'c')).toBe(id);
    expect(rotated.needsRotation(old)).toBe(true);
    const fresh = rotated.rotate(old, 'c');
    expect(rotated.keyIdOf(fresh)).toBe('k2');
    expect(rotated.needsRotation(fresh)).toBe(false);
    const withoutOld = new PersonalDataVault({ keys: `k2:${k2}`, activeKeyId: 'k2', hashKey });
    expect(() => withoutOld.decrypt(old, 'c')).toThrow(/key "k1", which is not configured/);
  });

  it('finds the same person by a keyed hash, whatever the case of the check character', () => {
    expect(vault.lookupHash('id-card', id)).toBe(vault.lookupHash('id-card', id.toLowerCase()));
    expect(vault.lookupHash('id-card', id)).not.toBe(vault.lookupHash('bank-card', id));
    const other = new PersonalDataVault({ keys: `k1:${k1}`, activeKeyId: 'k1', hashKey: k() });
    expect(other.lookupHash('id-card', id)).not.toBe(vault.lookupHash('id-card', id));
  });

  it('refuses unusable key configuration and lists every problem', () => {
    expect(
      () => new PersonalDataVault({ keys: 'k1:c2hvcnQ=,bad', activeKeyId: 'k9', hashKey: 'c2hvcnQ=' }),
    ).toThrow(/k1 is 5 bytes.*not id:base64key.*active key "k9".*hash key/);
  });
});

describe('what a key rotation needs to know', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  const hashKey = randomBytes(32).toString('base64');
  const vault = new PersonalDataVault({ keys: `k1:${k1},k2:${k2}`, activeKeyId: 'k2', hashKey });

  it('tells the active key, the configured ones, and the key of a stored value without any key', () => {
    expect(vault.currentKeyId).toBe('k2');
    expect(vault.keyIds).toEqual(['k1', 'k2']);
    expect(vault.hasKey('k1')).toBe(true);
    expect(vault.hasKey('k0')).toBe(false);
    const stored = vault.encrypt('6222020200001234567', 'c');
    expect(storedKeyId(stored)).toBe('k2');
    expect(storedKeyId('plain text')).toBeUndefined();
    expect(storedKeyId('pd1.k1.only-three')).toBeUndefined();
    expect(vault.needsRotation('not encrypted')).toBe(true);
  });
});
