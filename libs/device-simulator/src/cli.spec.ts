import { FakeGateway } from '../test/fake-gateway';
import { FakeIssuer } from '../test/fake-issuer';
import { OidcTokenSource } from './access-token';
import { parseArgs, USAGE } from './cli-args';
import { main } from './cli';
import { buildSites, punchesForDay } from './site-simulator';

describe('parseArgs', () => {
  const base = ['--gateway', 'http://127.0.0.1:8081', '--admin-token', 'tok'];

  it('has the documented defaults', () => {
    expect(parseArgs(base, {})).toEqual({
      kind: 'run',
      args: {
        gateway: 'http://127.0.0.1:8081',
        auth: { kind: 'token', token: 'tok' },
        projects: 3,
        devicesPerProject: 2,
        workers: 40,
        speed: 600,
        seed: 1,
        durationS: 0,
        batch: 50,
        region: '330106',
      },
    });
  });

  it('takes --flag value and --flag=value, and the token from the environment', () => {
    const r = parseArgs(
      [
        '--gateway=http://gw:8081/',
        '--projects',
        '5',
        '--speed=1200',
        '--once-day',
        '2026-11-21',
        '--seed',
        '-3',
      ],
      { REALNAME_ACCESS_TOKEN: 'from-env' },
    );
    expect(r).toMatchObject({
      kind: 'run',
      args: {
        gateway: 'http://gw:8081',
        auth: { kind: 'token', token: 'from-env' },
        projects: 5,
        speed: 1200,
        onceDay: '2026-11-21',
        seed: -3,
      },
    });
  });

  it('names the bad argument', () => {
    const cases: [string[], RegExp][] = [
      [[...base, '--projects', 'x'], /--projects must be a whole number/],
      [[...base, '--batch', '501'], /--batch must be a whole number from 1 to 500/],
      [[...base, '--region', '3301'], /--region must be a six-digit/],
      [[...base, '--once-day', '2026-02-30'], /--once-day must be a calendar day/],
      [[...base, '--speed', '0'], /--speed must be a number above 0/],
      [[...base, '--frobnicate'], /unknown option --frobnicate/],
      [[...base, 'stray'], /unexpected argument "stray"/],
      [[...base, '--workers'], /--workers needs a value/],
      [['--gateway', 'ftp://x'], /--gateway must be an http\(s\) URL/],
      [['--admin-token', 't'], /--gateway is required/],
      [['--gateway', 'http://x'], /an access token is required: --admin-token/],
      [[...base, '--oidc-user', 'dev-hz'], /either --admin-token or OIDC credentials/],
      [
        ['--gateway', 'http://x', '--oidc-user', 'dev-hz', '--oidc-password', 'p'],
        /--oidc-issuer is required/,
      ],
      [
        ['--gateway', 'http://x', '--oidc-issuer', 'http://i', '--oidc-user', 'dev-hz'],
        /--oidc-password is required/,
      ],
      [
        ['--gateway', 'http://x', '--oidc-issuer', 'http://i', '--oidc-password', 'p'],
        /--oidc-password needs --oidc-user/,
      ],
      [
        ['--gateway', 'http://x', '--oidc-issuer', 'http://i', '--oidc-client-id', 'c'],
        /--oidc-client-secret is required/,
      ],
      [
        ['--gateway', 'http://x', '--oidc-issuer', 'http://i', '--oidc-client-secret', 's'],
        /needs --oidc-client-id/,
      ],
      [
        [
          '--gateway',
          'http://x',
          '--oidc-issuer',
          'ftp://i',
          '--oidc-client-id',
          'c',
          '--oidc-client-secret',
          's',
        ],
        /--oidc-issuer must be an http\(s\) URL/,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = parseArgs(argv, {});
      expect(r.kind).toBe('error');
      expect(r.kind === 'error' && r.message).toMatch(message);
    }
  });

  it('takes OIDC credentials: a person through realname-cli or a machine client, issuer and secrets from the environment', () => {
    const gw = ['--gateway', 'http://gw'];
    const env = { REALNAME_OIDC_ISSUER: 'http://127.0.0.1:58180/realms/realname/' };
    expect(parseArgs([...gw, '--oidc-user', 'dev-hz', '--oidc-password', 'pw'], env)).toMatchObject({
      kind: 'run',
      args: {
        auth: {
          kind: 'password',
          issuer: 'http://127.0.0.1:58180/realms/realname',
          clientId: 'realname-cli',
          username: 'dev-hz',
          password: 'pw',
        },
      },
    });
    expect(
      parseArgs([...gw, '--oidc-issuer', 'http://kc/realms/x', '--oidc-user', 'dev-hz'], {
        REALNAME_OIDC_PASSWORD: 'from-env',
      }),
    ).toMatchObject({
      args: { auth: { kind: 'password', issuer: 'http://kc/realms/x', password: 'from-env' } },
    });
    expect(
      parseArgs([...gw, '--oidc-client-id', 'svc-x'], { ...env, REALNAME_OIDC_CLIENT_SECRET: 's3cret' }),
    ).toMatchObject({ args: { auth: { kind: 'client', clientId: 'svc-x', clientSecret: 's3cret' } } });
    // A token given explicitly wins over one in the environment; credentials are not mixed with it.
    expect(parseArgs([...gw, '--admin-token', 't'], { REALNAME_ACCESS_TOKEN: 'e' })).toMatchObject({
      args: { auth: { kind: 'token', token: 't' } },
    });
    expect(USAGE).toMatch(/--oidc-user NAME/);
    expect(USAGE).toMatch(/\$REALNAME_ACCESS_TOKEN/);
  });

  it('answers --help whatever else is given', () => {
    expect(parseArgs(['--projects', 'x', '--help'], {})).toEqual({ kind: 'help' });
    expect(parseArgs(['--help'], {})).toEqual({ kind: 'help' });
    expect(USAGE).toMatch(/--once-day YYYY-MM-DD/);
  });
});

describe('cli --once-day', () => {
  let gw: FakeGateway;
  let stdout: string;
  beforeEach(async () => {
    gw = await new FakeGateway().start();
    stdout = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await gw.stop();
  });

  const argv = () => [
    '--gateway',
    gw.url,
    '--admin-token',
    gw.adminToken,
    '--projects',
    '2',
    '--devices-per-project',
    '2',
    '--workers',
    '30',
    '--seed',
    '9',
    '--batch',
    '25',
    '--once-day',
    '2026-11-21',
  ];

  it('registers the devices, uploads the whole day and reports exact totals as JSON', async () => {
    const expected = punchesForDay(
      buildSites({
        projects: 2,
        devicesPerProject: 2,
        workersPerProject: 30,
        seed: 9,
        secretFor: () => 'x'.repeat(16),
      }),
      '2026-11-21',
    );
    expect(await main(argv())).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      mode: 'once-day',
      day: '2026-11-21',
      devices: 4,
      workers: 60,
      generated: expected.length,
      sent: expected.length,
      accepted: expected.length,
      duplicate: 0,
      rejected: 0,
      pending: 0,
      interrupted: false,
    });
    expect(report.presentWorkers).toBe(new Set(expected.map((p) => p.punch.personId)).size);
    expect(report.perProject).toHaveLength(2);
    expect(gw.secrets.size).toBe(4);
    expect(gw.storedCount()).toBe(expected.length);
    for (const p of expected)
      expect(gw.stored.get(p.deviceId)?.get(p.punch.recordId)?.punch).toEqual(p.punch);

    // The same day again: every punch is a duplicate, nothing new is stored.
    stdout = '';
    expect(await main(argv())).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ accepted: 0, duplicate: expected.length, pending: 0 });
    expect(gw.storedCount()).toBe(expected.length);
  });

  it('exits 1 with the reason when the admin token is wrong', async () => {
    const args = argv();
    args[3] = 'wrong-token';
    expect(await main(args)).toBe(1);
    expect(stdout).toBe('');
  });

  describe('with OIDC credentials', () => {
    let issuer: FakeIssuer;
    beforeEach(async () => {
      issuer = await new FakeIssuer().start();
      issuer.token = gw.adminToken;
      issuer.users.set('dev-hz', 'pw');
      issuer.clients.set('svc-admin', 'cs');
    });
    afterEach(() => issuer.stop());

    const withCredentials = (...auth: string[]) => {
      const args = argv();
      args.splice(2, 2, '--oidc-issuer', issuer.issuer, ...auth);
      return args;
    };

    it('gets the token itself, as a person (password grant through realname-cli) or a machine client', async () => {
      expect(await main(withCredentials('--oidc-user', 'dev-hz', '--oidc-password', 'pw'))).toBe(0);
      expect(issuer.grants).toEqual([
        expect.objectContaining({ grant_type: 'password', client_id: 'realname-cli', username: 'dev-hz' }),
      ]);
      expect(gw.secrets.size).toBe(4);
      stdout = '';
      expect(await main(withCredentials('--oidc-client-id', 'svc-admin', '--oidc-client-secret', 'cs'))).toBe(
        0,
      );
      expect(issuer.grants[1]).toMatchObject({ grant_type: 'client_credentials', client_id: 'svc-admin' });
    });

    it('exits 1 naming the identity when the issuer refuses the credentials', async () => {
      let stderr = '';
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        stderr += String(chunk);
        return true;
      });
      expect(await main(withCredentials('--oidc-user', 'dev-hz', '--oidc-password', 'wrong'))).toBe(1);
      expect(stderr).toMatch(/gave no token for user dev-hz: HTTP 401 invalid_grant/);
      expect(gw.secrets.size).toBe(0);
    });
  });

  it('exits 2 on a bad argument and 0 on --help', async () => {
    expect(await main(['--projects', 'many'])).toBe(2);
    expect(await main(['--help'])).toBe(0);
    expect(stdout).toBe(USAGE);
  });
});

describe('OidcTokenSource', () => {
  let issuer: FakeIssuer;
  beforeEach(async () => {
    issuer = await new FakeIssuer().start();
    issuer.clients.set('svc', 'secret');
  });
  afterEach(() => issuer.stop());

  it('keeps a token until shortly before it expires, then renews it; concurrent callers share one request', async () => {
    const source = new OidcTokenSource(
      { kind: 'client', issuer: issuer.issuer, clientId: 'svc', clientSecret: 'secret' },
      { renewBeforeMs: 30_000 },
    );
    issuer.token = 'first';
    expect(await Promise.all([source.token(), source.token()])).toEqual(['first', 'first']);
    expect(await source.token()).toBe('first');
    expect(issuer.grants).toHaveLength(1);

    // A token that lives 10 s is renewed on every use after 5 s at the latest (never kept past expiry).
    issuer.expiresIn = 10;
    issuer.token = 'second';
    source.invalidate();
    expect(await source.token()).toBe('second');
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 6_000);
    issuer.token = 'third';
    expect(await source.token()).toBe('third');
    expect(issuer.grants).toHaveLength(3);
    jest.restoreAllMocks();
  });

  it('names the issuer when it does not answer', async () => {
    const url = issuer.issuer;
    await issuer.stop();
    const source = new OidcTokenSource({ kind: 'client', issuer: url, clientId: 'svc', clientSecret: 'x' });
    await expect(source.token()).rejects.toThrow(
      /the OpenID Connect issuer does not answer at http:\/\/127\.0\.0\.1:\d+\/realms\/test\/\.well-known/,
    );
  });
});
