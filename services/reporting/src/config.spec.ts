import { ReportingConfigSchema } from './config';

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
