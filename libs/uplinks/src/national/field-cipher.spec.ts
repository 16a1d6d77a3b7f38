import { inspect } from 'node:util';
import { NationalCredentials } from './credentials';
import {
  decryptField,
  decryptSensitiveFields,
  encryptField,
  encryptSensitiveFields,
  FieldCipherError,
} from './field-cipher';

const SECRET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const OTHER_SECRET = 'abcdefghijklmnopqrstuvwxyz012345';

describe('national field encryption', () => {
  it('matches OpenSSL AES-256-CBC with the secret as key and its first 16 characters as IV', () => {
    // printf '110101199003070011' | openssl enc -aes-256-cbc -K <hex of secret> -iv <hex of its first 16> -base64
    expect(encryptField('110101199003070011', SECRET)).toBe('RQkaUOonBgrHqcKs8SezrliNumU5bDBY8y1Uqx/KOoQ=');
  });

  it('round-trips any UTF-8 text', () => {
    for (const plain of ['110101199003070011', '6222021234567890123', '张三 of 北京', 'x'.repeat(100)]) {
      expect(decryptField(encryptField(plain, SECRET), SECRET)).toBe(plain);
    }
  });

  it('refuses ciphertext that is not Base64, not whole blocks, or made with another secret', () => {
    expect(() => decryptField('110101199003070011', SECRET)).toThrow(FieldCipherError);
    expect(() => decryptField('QUJD', SECRET)).toThrow(/whole AES blocks/);
    const other = encryptField('110101199003070011', OTHER_SECRET);
    expect(() => decryptField(other, SECRET)).toThrow(FieldCipherError);
  });

  it('refuses a secret that is not 32 bytes', () => {
    expect(() => encryptField('x', 'short')).toThrow(/32 bytes/);
  });

  it('encrypts the listed fields at any depth and leaves the others alone', () => {
    const payload = {
      projectCode: 'P1',
      teamLeaderIdNumber: '110101199003070011',
      bankInfos: [{ bankCode: '102', bankNumber: '6222021234567890123' }],
      workerList: [{ workerName: '张三', idCardNumber: '110101199003070011', payRollBankCardNumber: '' }],
    };
    const sealed = encryptSensitiveFields(payload, SECRET) as typeof payload;
    expect(sealed.projectCode).toBe('P1');
    expect(sealed.workerList[0].workerName).toBe('张三');
    expect(sealed.workerList[0].idCardNumber).toBe('RQkaUOonBgrHqcKs8SezrliNumU5bDBY8y1Uqx/KOoQ=');
    expect(sealed.teamLeaderIdNumber).toBe(sealed.workerList[0].idCardNumber);
    expect(sealed.bankInfos[0].bankNumber).not.toBe('6222021234567890123');
    expect(sealed.workerList[0].payRollBankCardNumber).toBe('');
    expect(decryptSensitiveFields(sealed, SECRET)).toEqual(payload);
  });

  it('names the field that failed to decrypt, never its value', () => {
    const bad = {
      workerList: [{ idCardNumber: encryptField('1', SECRET) }, { idCardNumber: 'not-cipher!' }],
    };
    expect(() => decryptSensitiveFields(bad, SECRET)).toThrow(/^workerList\[1\]\.idCardNumber: /);
    expect(() => decryptSensitiveFields(bad, SECRET)).not.toThrow(/not-cipher/);
  });
});

describe('national credentials', () => {
  it('never show the secret when printed or serialised', () => {
    const credentials = new NationalCredentials({ appid: 'P1', secret: SECRET, corpKey: 'corp-key' });
    expect(JSON.stringify(credentials)).not.toContain(SECRET);
    expect(inspect(credentials)).not.toContain(SECRET);
    expect(`${JSON.stringify({ credentials })}`).toContain('[redacted]');
  });

  it('build corpsign as the enterprise key plus the timestamp, encrypted', () => {
    const credentials = new NationalCredentials({ appid: 'P1', secret: SECRET, corpKey: 'corp-key' });
    expect(decryptField(credentials.corpSign('20260315093000'), SECRET)).toBe('corp-key20260315093000');
  });

  it('refuse a secret of the wrong length at construction', () => {
    expect(() => new NationalCredentials({ appid: 'P1', secret: 'short' })).toThrow(/32 bytes/);
  });
});
