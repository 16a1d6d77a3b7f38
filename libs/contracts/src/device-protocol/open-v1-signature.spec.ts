import { signRequest, verifyRequest } from './open-v1-signature';

const secret = 'a-device-secret-of-some-length';
const body = Buffer.from('{"punches":[{"recordId":"1","personId":"1001","time":"2026-11-21 08:00:00"}]}');
const now = Date.parse('2026-11-21T00:00:00Z');
const ts = String(now / 1000);

describe('open protocol v1 signature', () => {
  it('accepts what was signed with the device secret', () => {
    expect(
      verifyRequest(secret, { timestamp: ts, signature: signRequest(secret, ts, body) }, body, now, 300),
    ).toEqual({ ok: true });
  });

  it('refuses a changed body, another secret or another timestamp', () => {
    const sig = signRequest(secret, ts, body);
    const changed = Buffer.from(body.toString().replace('1001', '1002'));
    expect(verifyRequest(secret, { timestamp: ts, signature: sig }, changed, now, 300)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    expect(
      verifyRequest('another-secret-xxxxxxxx', { timestamp: ts, signature: sig }, body, now, 300),
    ).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    const later = String(Number(ts) + 1);
    expect(verifyRequest(secret, { timestamp: later, signature: sig }, body, now, 300)).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('refuses a request outside the timestamp window and says how far off the clock is', () => {
    const old = String(Number(ts) - 301);
    const r = verifyRequest(
      secret,
      { timestamp: old, signature: signRequest(secret, old, body) },
      body,
      now,
      300,
    );
    expect(r).toMatchObject({ ok: false, reason: 'stale-timestamp' });
    expect(r.ok === false && r.detail).toMatch(/301 s away/);
  });

  it('refuses missing headers and a timestamp in milliseconds', () => {
    expect(verifyRequest(secret, {}, body, now, 300)).toMatchObject({ reason: 'missing-headers' });
    expect(
      verifyRequest(secret, { timestamp: String(now), signature: 'v1=00' }, body, now, 300),
    ).toMatchObject({
      reason: 'bad-timestamp',
    });
  });

  it('matches the test vector published in docs/device-protocol.md', () => {
    const vectorSecret = '4f1c2b9e7d0a5836c1e2f3a4b5c6d7e8';
    const vectorBody =
      '{"punches":[{"recordId":"00000042","personId":"10001","time":"2026-11-21 07:41:02","direction":"in","verifyMode":"face"}]}';
    expect(signRequest(vectorSecret, '1795218065', vectorBody)).toBe(
      'v1=c50ce1ed4fee74f515f653dbcb5fc6ab65a83a750f092c0f79b875180849eb95',
    );
    expect(signRequest(vectorSecret, '1795218065', Buffer.alloc(0))).toBe(
      'v1=5d119b330025f372901bbee013cb08c9c32311bd172b07551a8769aa1469493c',
    );
  });
});
