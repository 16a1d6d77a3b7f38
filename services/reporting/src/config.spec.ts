import { checkReportingConfig, KNOWN_UPLINK_TARGETS, ReportingConfigSchema } from './config';
import { UPLINK_TARGETS } from './uplinks/targets';

const base = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:55432/realname',
  KAFKA_BROKERS: '127.0.0.1:59092',
  OIDC_ISSUER_URL: 'http://127.0.0.1:58180/realms/realname',
  OIDC_AUDIENCE: 'realname-api',
  PII_KEYS: 'k1:AAAA',
  PII_ACTIVE_KEY_ID: 'k1',
  PII_HASH_KEY: 'BBBB',
};

describe('reporting configuration', () => {
  it('listens on 8084 and has every uplink off by default', () => {
    const c = ReportingConfigSchema.parse(base);
    expect(c.REPORTING_HTTP_PORT).toBe(8084);
    expect(c.UPLINK_TARGETS).toEqual([]);
  });

  it('reads the switched-on targets with their endpoints (a local simulator included)', () => {
    const c = ReportingConfigSchema.parse({
      ...base,
      UPLINK_TARGETS: 'national=http://127.0.0.1:18090/open.api',
    });
    expect(c.UPLINK_TARGETS).toEqual([{ target: 'national', endpoint: 'http://127.0.0.1:18090/open.api' }]);
  });

  it('switches on Zhejiang V2.0 and Province B beside the national platform, each with its endpoint', () => {
    const c = ReportingConfigSchema.parse({
      ...base,
      UPLINK_TARGETS:
        'national=https://nation.example/open.api, zhejiang=http://127.0.0.1:18091/open.api,province-b=https://pb.example/api',
    });
    expect(c.UPLINK_TARGETS).toEqual([
      { target: 'national', endpoint: 'https://nation.example/open.api' },
      { target: 'zhejiang', endpoint: 'http://127.0.0.1:18091/open.api' },
      { target: 'province-b', endpoint: 'https://pb.example/api' },
    ]);
  });

  it('has a profile, a mapping and an adapter for every known target', () => {
    for (const target of KNOWN_UPLINK_TARGETS) {
      const definition = UPLINK_TARGETS[target];
      expect(definition.id).toBe(target);
      expect(definition.profile.dependencyOrder.length).toBeGreaterThan(0);
    }
    // Zhejiang's daily deadline comes from libs/uplinks; the others publish none.
    expect(UPLINK_TARGETS.zhejiang.profile.dailyAttendanceDeadline).toEqual({
      localTime: '24:00',
      timeZone: 'Asia/Shanghai',
    });
    expect(UPLINK_TARGETS['province-b'].profile.batchLimits.attendance).toBe(50);
    expect(UPLINK_TARGETS['province-b'].credentials).toBe('app-key-secret');
  });

  it('refuses a target named in the wrong case or with a province it does not know', () => {
    const result = ReportingConfigSchema.safeParse({
      ...base,
      UPLINK_TARGETS: 'Zhejiang=http://x/open.api,province-c=http://y/api',
    });
    expect(result.success).toBe(false);
    const messages = result.success ? [] : result.error.issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining('"Zhejiang" is not a known target (national, zhejiang, province-b)'),
      expect.stringContaining('"province-c" is not a known target'),
    ]);
  });

  it('refuses an unknown target, a missing endpoint and a target listed twice, naming each', () => {
    const result = ReportingConfigSchema.safeParse({
      ...base,
      UPLINK_TARGETS:
        'hubei=http://x/open.api,national,national=http://a/open.api,national=http://b/open.api',
    });
    expect(result.success).toBe(false);
    const messages = result.success ? [] : result.error.issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining('"hubei" is not a known target'),
      expect.stringContaining('"national" must be target=http(s)://host/path'),
      expect.stringContaining('target "national" is listed twice'),
    ]);
  });
});

describe('the worker registry as the source of identities', () => {
  it('is optional: without REGISTRY_URL identities come only from what is stored', () => {
    const c = checkReportingConfig(ReportingConfigSchema.parse(base));
    expect(c.REGISTRY_URL).toBeUndefined();
    expect(c.OIDC_CLIENT_ID).toBeUndefined();
  });

  it("takes REGISTRY_URL with reporting's own client", () => {
    const c = checkReportingConfig(
      ReportingConfigSchema.parse({
        ...base,
        REGISTRY_URL: 'http://127.0.0.1:8083',
        OIDC_CLIENT_ID: 'svc-reporting',
        OIDC_CLIENT_SECRET: 's3cret',
      }),
    );
    expect(c).toMatchObject({ REGISTRY_URL: 'http://127.0.0.1:8083', OIDC_CLIENT_ID: 'svc-reporting' });
  });

  it('refuses REGISTRY_URL without the client, and a client id without its secret, naming each variable', () => {
    const problems = (env: Record<string, string>) => {
      try {
        checkReportingConfig(ReportingConfigSchema.parse({ ...base, ...env }));
        return [];
      } catch (err) {
        return (err as { problems: { variable: string }[] }).problems.map((p) => p.variable);
      }
    };
    expect(problems({ REGISTRY_URL: 'http://127.0.0.1:8083' })).toEqual([
      'OIDC_CLIENT_ID',
      'OIDC_CLIENT_SECRET',
    ]);
    expect(problems({ OIDC_CLIENT_ID: 'svc-reporting' })).toEqual(['OIDC_CLIENT_SECRET']);
  });
});
