import { FakeGateway } from '../test/fake-gateway';
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
        adminToken: 'tok',
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
      { GATEWAY_ADMIN_TOKEN: 'from-env' },
    );
    expect(r).toMatchObject({
      kind: 'run',
      args: {
        gateway: 'http://gw:8081',
        adminToken: 'from-env',
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
      [['--gateway', 'http://x'], /--admin-token is required/],
    ];
    for (const [argv, message] of cases) {
      const r = parseArgs(argv, {});
      expect(r.kind).toBe('error');
      expect(r.kind === 'error' && r.message).toMatch(message);
    }
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

  it('exits 2 on a bad argument and 0 on --help', async () => {
    expect(await main(['--projects', 'many'])).toBe(2);
    expect(await main(['--help'])).toBe(0);
    expect(stdout).toBe(USAGE);
  });
});
