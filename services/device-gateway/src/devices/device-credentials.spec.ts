import { createHash, randomBytes } from 'node:crypto';
import { refusalReason } from '../ingest/refused-requests';
import { DeviceCredentials, hashToken, newCredential } from './device-credentials';
import { view } from './devices.controller';

const keys = `k1:${randomBytes(32).toString('base64')}`;
const credentials = new DeviceCredentials({ keys, activeKeyId: 'k1' });

describe('device credentials', () => {
  it('encrypts a secret bound to its device, and never in the clear', () => {
    const stored = credentials.encryptSecret('ov-1', 'the-hmac-secret-123');
    expect(stored).toMatch(/^pd1\.k1\./);
    expect(stored).not.toContain('the-hmac-secret-123');
    expect(credentials.decryptSecret('ov-1', stored)).toBe('the-hmac-secret-123');
    expect(credentials.decryptSecret('ov-2', stored)).toBeUndefined();
    expect(credentials.decryptSecret('ov-1', 'the-hmac-secret-123')).toBeUndefined();
  });

  it('upgrades a secret kept in the clear, and one under a retired key', () => {
    const plain = credentials.upgradeSecret('ov-1', 'legacy-secret-0123456');
    expect(credentials.decryptSecret('ov-1', plain!)).toBe('legacy-secret-0123456');
    expect(credentials.upgradeSecret('ov-1', plain!)).toBeUndefined();
    const next = new DeviceCredentials({
      keys: `${keys},k2:${randomBytes(32).toString('base64')}`,
      activeKeyId: 'k2',
    });
    const rotated = next.upgradeSecret('ov-1', plain!);
    expect(rotated).toMatch(/^pd1\.k2\./);
    expect(next.decryptSecret('ov-1', rotated!)).toBe('legacy-secret-0123456');
  });

  it('keeps a token as its SHA-256 and compares in constant time', () => {
    const token = newCredential();
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(credentials.tokenMatches(hashToken(token), token)).toBe(true);
    expect(credentials.tokenMatches(hashToken(token), `${token}x`)).toBe(false);
    expect(credentials.tokenMatches(undefined, token)).toBe(false);
    // A token kept in the clear by an older version never matches as if it were a hash.
    expect(credentials.tokenMatches(token, token)).toBe(false);
  });

  it('refuses keys that are not usable', () => {
    expect(() => new DeviceCredentials({ keys: 'k1:short', activeKeyId: 'k1' })).toThrow(/32/);
    expect(() => new DeviceCredentials({ keys, activeKeyId: 'k9' })).toThrow(/active key/);
  });

  it('the admin view never holds the secret, the token or its hash', () => {
    const shown = view({
      deviceId: 'd',
      projectId: 'P',
      region: '330106',
      family: 'open-v1',
      secret: 'the-hmac-secret-123',
      tokenHash: hashToken('tok_0123456789abcdef'),
      token: 'tok_0123456789abcdef',
      timeZone: 'Asia/Shanghai',
      defaultDirection: 'in',
      enabled: true,
      online: false,
    });
    const text = JSON.stringify(shown);
    expect(text).not.toMatch(/the-hmac-secret-123|tok_0123456789abcdef|[0-9a-f]{64}/);
    expect(shown).toMatchObject({ hasSecret: true, hasToken: true });
  });
});

describe('refusal reasons', () => {
  it.each([
    ['unauthenticated', 'wrong token', true, 'bad-credentials'],
    ['unauthenticated', 'no token', true, 'bad-credentials'],
    ['unauthenticated', 'wrong token', false, 'unknown-device'],
    ['unauthenticated', 'device is disabled', true, 'disabled'],
    ['unauthenticated', 'device is registered as uface, not httpv2', true, 'wrong-family'],
    [
      'unauthenticated',
      'SN X is not a registered, enabled zkteco-push device: register it',
      true,
      'disabled',
    ],
    ['malformed', 'not XML', true, 'malformed'],
    ['malformed', 'the SN query parameter is required', false, 'malformed'],
    ['ignored', 'record 7: no UserID (stranger)', true, 'stranger'],
    ['ignored', 'personId 9 is not a person on the device', true, 'stranger'],
    ['ignored', 'a pass that names no person (no employeeNoString)', true, 'stranger'],
    ['ignored', 'sub event type 21 is not a pass', true, 'not-a-punch'],
    ['ignored', 'table=OPERLOG', true, 'not-a-punch'],
  ] as const)('%s "%s" (registered: %s) is %s', (outcome, detail, registered, reason) => {
    expect(refusalReason(outcome, detail, registered)).toBe(reason);
  });
});
