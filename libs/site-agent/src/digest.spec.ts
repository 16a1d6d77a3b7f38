import fc from 'fast-check';
import { HikvisionTerminal } from '@realname/device-simulator';
import {
  digestAuthorization,
  DigestAuthError,
  DigestSession,
  parseAuthParams,
  parseDigestChallenge,
} from './digest';
import { TransportError } from './http';

describe('Digest (RFC 7616)', () => {
  it('computes the RFC 7616 section 3.9.1 example responses (MD5 and SHA-256)', () => {
    const base = {
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
      qop: 'auth' as const,
      stale: false,
    };
    const creds = { username: 'Mufasa', password: 'Circle of Life' };
    const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
    const md5 = digestAuthorization(
      { ...base, algorithm: 'MD5' },
      creds,
      'GET',
      '/dir/index.html',
      1,
      cnonce,
    );
    expect(md5).toContain('response="8ca523f5e9506fed4657c9700eebdbec"');
    expect(md5).toContain('nc=00000001');
    expect(md5).toContain(`opaque="${base.opaque}"`);
    const sha = digestAuthorization(
      { ...base, algorithm: 'SHA-256' },
      creds,
      'GET',
      '/dir/index.html',
      1,
      cnonce,
    );
    expect(sha).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"');
  });

  it('reads challenges among other schemes, quoted values and qop lists', () => {
    expect(
      parseDigestChallenge(
        'Basic realm="x", Digest realm="IP Camera(C1234)", qop="auth,auth-int", nonce="abc", stale="TRUE"',
      ),
    ).toEqual({ realm: 'IP Camera(C1234)', nonce: 'abc', algorithm: 'MD5', qop: 'auth', stale: true });
    expect(
      parseDigestChallenge('Digest qop="auth", realm="r", nonce="n", algorithm=SHA-256')?.algorithm,
    ).toBe('SHA-256');
    expect(parseDigestChallenge('Digest realm="r", nonce="n"')).toEqual({
      realm: 'r',
      nonce: 'n',
      algorithm: 'MD5',
      stale: false,
    });
    expect(parseDigestChallenge('Digest realm="r", qop="auth-int", nonce="n"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="r"')).toBeUndefined();
    expect(parseDigestChallenge('Basic realm="r"')).toBeUndefined();
    expect(parseAuthParams('a="x\\"y", b=2, Basic c=3').get('a')).toBe('x"y');
  });

  it('fuzz: parsing arbitrary headers never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        parseDigestChallenge(s);
        parseDigestChallenge('Digest ' + s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('DigestSession against the simulated terminal', () => {
  let t: HikvisionTerminal;
  let base: string;
  beforeEach(async () => {
    t = new HikvisionTerminal({ deviceId: 'gate-1', user: 'admin', password: 'S3cret:with"quote' });
    base = await t.listen();
  });
  afterEach(() => t.close());

  it('answers the challenge once, then authenticates up front with increasing nonce counts', async () => {
    const s = new DigestSession({ username: 'admin', password: 'S3cret:with"quote' });
    const a = await s.request('GET', base + '/ISAPI/System/deviceInfo');
    expect(a.status).toBe(200);
    expect(a.body.toString()).toContain('<DeviceInfo');
    const b = await s.request('PUT', base + '/ISAPI/AccessControl/UserInfo/SetUp?format=json', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ UserInfo: { employeeNo: '1', name: 'N' } }),
    });
    expect(b.status).toBe(200);
    expect(t.isapiLog.map((r) => r.authorised)).toEqual([false, true, true]);
  });

  it('fails with DigestAuthError on a wrong password, TransportError when nobody listens', async () => {
    const s = new DigestSession({ username: 'admin', password: 'wrong' });
    await expect(s.request('GET', base + '/ISAPI/System/deviceInfo')).rejects.toBeInstanceOf(DigestAuthError);
    await t.close();
    await expect(
      s.request('GET', base + '/ISAPI/System/deviceInfo', { timeoutMs: 2000 }),
    ).rejects.toBeInstanceOf(TransportError);
  });

  it('answers a new challenge when the device forgot its nonce (restart)', async () => {
    const s = new DigestSession({ username: 'admin', password: 'S3cret:with"quote' });
    expect((await s.request('GET', base + '/ISAPI/System/time')).status).toBe(200);
    await t.close();
    const again = new HikvisionTerminal({ deviceId: 'gate-1', user: 'admin', password: 'S3cret:with"quote' });
    const port = new URL(base).port;
    await again.listen(Number(port));
    try {
      expect((await s.request('GET', base + '/ISAPI/System/time')).status).toBe(200);
    } finally {
      await again.close();
    }
  });
});
