import { ConfigurationError, loadConfig } from '@realname/platform';
import { checkGatewayConfig, GatewayConfigSchema, retiredVariablesSet } from './config';

const base = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  KAFKA_BROKERS: '127.0.0.1:9092',
  DEVICE_SECRET_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
  OIDC_ISSUER_URL: 'http://127.0.0.1:58180/realms/realname',
  OIDC_AUDIENCE: 'realname-api',
};

function problems(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    checkGatewayConfig(loadConfig(GatewayConfigSchema, env));
    return [];
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
}

describe('gateway configuration', () => {
  it('needs the issuer and audience of the admin API, and no static admin or photo token', () => {
    const { OIDC_ISSUER_URL: _issuer, OIDC_AUDIENCE: _audience, ...without } = base;
    expect(problems(without).map((p) => p.variable)).toEqual(
      expect.arrayContaining(['OIDC_ISSUER_URL', 'OIDC_AUDIENCE']),
    );
    expect(Object.keys(GatewayConfigSchema.shape)).not.toEqual(
      expect.arrayContaining(['GATEWAY_ADMIN_TOKEN']),
    );
    expect(Object.keys(GatewayConfigSchema.shape)).not.toContain('REGISTRY_PHOTO_TOKEN');
  });

  it('needs the client credentials when it fetches faces from the registry', () => {
    expect(problems(base)).toEqual([]);
    const registry = { ...base, REGISTRY_URL: 'http://127.0.0.1:8082' };
    expect(problems(registry).map((p) => p.variable)).toEqual(['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET']);
    expect(problems(registry)[0].message).toMatch(/REGISTRY_URL/);
    expect(
      problems({ ...registry, OIDC_CLIENT_ID: 'svc-device-gateway', OIDC_CLIENT_SECRET: 's3cret' }),
    ).toEqual([]);
  });

  it('takes the client id and secret together or not at all', () => {
    expect(problems({ ...base, OIDC_CLIENT_ID: 'svc-device-gateway' })).toEqual([
      { variable: 'OIDC_CLIENT_SECRET', message: expect.stringMatching(/together with OIDC_CLIENT_ID/) },
    ]);
    expect(problems({ ...base, OIDC_CLIENT_SECRET: 's3cret' }).map((p) => p.variable)).toEqual([
      'OIDC_CLIENT_ID',
    ]);
  });

  it('names the retired static tokens, and what replaced them, when they are still set', () => {
    expect(retiredVariablesSet({ ...base, GATEWAY_ADMIN_TOKEN: 'x'.repeat(32) })).toEqual([
      expect.stringMatching(/^GATEWAY_ADMIN_TOKEN is no longer used: the admin API takes access tokens/),
    ]);
    expect(retiredVariablesSet(base)).toEqual([]);
  });
});
