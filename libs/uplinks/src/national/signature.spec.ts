import { createHash } from 'node:crypto';
import { nationalSignature, parsePlatformTimestamp, platformDateTime, platformTimestamp } from './signature';

const SECRET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const FIELDS = {
  appid: 'P3301',
  method: 'Team.Add',
  version: '1.0',
  format: 'json',
  timestamp: '20260315093000',
  nonce: 'AbC123',
  data: '{"projectCode":"P3301","teamName":"钢筋班"}',
};
// Written out by hand from the reference: keys in ASCII order, raw values, `&appsecret=`, all lower-cased.
const CANONICAL =
  'appid=p3301&data={"projectcode":"p3301","teamname":"钢筋班"}&format=json&method=team.add&nonce=abc123' +
  '&timestamp=20260315093000&version=1.0&appsecret=abcdefghijklmnopqrstuvwxyz012345';
// `printf '%s' "$CANONICAL" | sha256sum`, computed outside this code base.
const EXPECTED_SIGN = '2ca72968237feca4218329b97168d4f95d77ee12625d5d0c84fe02a3984c1f94';

describe('national request signature', () => {
  it('is the SHA-256 hex of the hand-built canonical string', () => {
    expect(createHash('sha256').update(CANONICAL, 'utf8').digest('hex')).toBe(EXPECTED_SIGN);
    expect(nationalSignature(FIELDS, SECRET)).toBe(EXPECTED_SIGN);
  });

  it('does not depend on the order the fields are given in, and leaves `sign` out', () => {
    const reversed = Object.fromEntries(Object.entries(FIELDS).reverse());
    expect(nationalSignature({ ...reversed, sign: 'whatever' }, SECRET)).toBe(EXPECTED_SIGN);
  });

  it('lower-cases the whole string, the JSON included, so only a change beyond case alters it', () => {
    expect(nationalSignature({ ...FIELDS, data: FIELDS.data.toUpperCase() }, SECRET)).toBe(EXPECTED_SIGN);
    expect(nationalSignature({ ...FIELDS, data: FIELDS.data.replace('钢筋班', '木工班') }, SECRET)).not.toBe(
      EXPECTED_SIGN,
    );
    expect(nationalSignature(FIELDS, SECRET.replace('A', 'B'))).not.toBe(EXPECTED_SIGN);
  });

  it('signs optional fields such as corpsign when present', () => {
    expect(nationalSignature({ ...FIELDS, corpsign: 'x' }, SECRET)).not.toBe(EXPECTED_SIGN);
  });
});

describe('platform time', () => {
  it('writes timestamps in China Standard Time whatever the host zone', () => {
    const at = new Date('2026-03-15T01:30:00Z');
    expect(platformTimestamp(at)).toBe('20260315093000');
    expect(platformDateTime(at)).toBe('2026-03-15 09:30:00');
    expect(platformTimestamp(new Date('2026-12-31T16:00:00Z'))).toBe('20270101000000');
  });

  it('reads timestamps back and refuses impossible ones', () => {
    expect(parsePlatformTimestamp('20260315093000')?.toISOString()).toBe('2026-03-15T01:30:00.000Z');
    expect(parsePlatformTimestamp('20260231093000')).toBeUndefined();
    expect(parsePlatformTimestamp('2026-03-15 09:30:00')).toBeUndefined();
  });
});
