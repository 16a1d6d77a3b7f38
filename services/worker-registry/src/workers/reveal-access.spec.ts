import { ConfigurationError, loadConfig, redactConfig } from '@realname/platform';
import { RegistryConfigSchema } from '../config';
import { checkPurpose, isRefusal, parseRevealTokens, RevealAccess } from './reveal-access';

const UPLOADER = 'u'.repeat(16) + '-upload-token';
const AUDITOR = 'A1b2C3d4E5f6G7h8';

describe('REGISTRY_REVEAL_TOKENS', () => {
  it('parses caller:token pairs, trimming spaces; empty means nobody', () => {
    expect(parseRevealTokens(` national-uploader:${UPLOADER} , auditor.1:${AUDITOR}`)).toEqual({
      ok: true,
      tokens: [
        { caller: 'national-uploader', token: UPLOADER },
        { caller: 'auditor.1', token: AUDITOR },
      ],
    });
    expect(parseRevealTokens('')).toEqual({ ok: true, tokens: [] });
    expect(parseRevealTokens('   ')).toEqual({ ok: true, tokens: [] });
  });

  it('keeps everything after the first colon as the token, and lets one caller have two tokens', () => {
    const r = parseRevealTokens(`uploader:${UPLOADER}:x,uploader:${AUDITOR}`);
    expect(r).toEqual({
      ok: true,
      tokens: [
        { caller: 'uploader', token: `${UPLOADER}:x` },
        { caller: 'uploader', token: AUDITOR },
      ],
    });
  });

  it('lists every bad entry without quoting a token', () => {
    const short = 'short-secret';
    const r = parseRevealTokens(
      `nocolon${UPLOADER},:${UPLOADER}x,bad caller:${AUDITOR}x,ok:${short},a:${AUDITOR},b:${AUDITOR},`,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'entry 1 must be caller:token',
      expect.stringMatching(/^entry 2: the caller must be/),
      expect.stringMatching(/^entry 3: the caller must be/),
      'entry 4 (caller "ok"): the token must be at least 16 characters without spaces',
      'entry 6 (caller "b"): the same token is given to caller "a"',
      'entry 7 must be caller:token',
    ]);
    const text = r.problems.join('\n');
    for (const secret of [UPLOADER, AUDITOR, short]) expect(text).not.toContain(secret);
  });

  it('is validated at boot with the other variables, and never printed', () => {
    const base = {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      KAFKA_BROKERS: '127.0.0.1:9092',
      INTEGRITY_URL: 'http://127.0.0.1:8090',
      INTEGRITY_API_KEY: 'k',
      PII_KEYS: 'k1:x',
      PII_ACTIVE_KEY_ID: 'k1',
      PII_HASH_KEY: 'h',
    };
    const config = loadConfig(RegistryConfigSchema, {
      ...base,
      REGISTRY_REVEAL_TOKENS: `uploader:${UPLOADER}`,
    });
    expect(config.REGISTRY_REVEAL_TOKENS).toEqual([{ caller: 'uploader', token: UPLOADER }]);
    expect(config.REGISTRY_GRPC_URL).toBe('127.0.0.1:9083');
    expect(JSON.stringify(redactConfig(RegistryConfigSchema, config))).not.toContain(UPLOADER);
    expect(redactConfig(RegistryConfigSchema, config).REGISTRY_REVEAL_TOKENS).toBe('***');

    expect(loadConfig(RegistryConfigSchema, base).REGISTRY_REVEAL_TOKENS).toEqual([]);

    let error: unknown;
    try {
      loadConfig(RegistryConfigSchema, {
        ...base,
        REGISTRY_REVEAL_TOKENS: 'uploader:tooshort',
        REGISTRY_GRPC_URL: 'x',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems.map((p) => p.variable).sort()).toEqual([
      'REGISTRY_GRPC_URL',
      'REGISTRY_REVEAL_TOKENS',
    ]);
    expect((error as Error).message).not.toContain('tooshort');
  });
});

describe('RevealAccess', () => {
  const access = new RevealAccess([
    { caller: 'national-uploader', token: UPLOADER },
    { caller: 'auditor', token: AUDITOR },
  ]);

  it('names the caller whose bearer token is sent', () => {
    expect(access.authorize(`Bearer ${UPLOADER}`)).toEqual({ caller: 'national-uploader' });
    expect(access.authorize(`bearer   ${AUDITOR} `)).toEqual({ caller: 'auditor' });
  });

  it('refuses a request without a bearer token as unauthenticated', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', UPLOADER, `Basic ${UPLOADER}`, `Bearer a b`]) {
      const r = access.authorize(header);
      expect(isRefusal(r) && r.refused).toBe('unauthenticated');
    }
  });

  it('refuses a token that is not configured as permission denied, without echoing it', () => {
    for (const token of [UPLOADER.slice(0, -1), `${UPLOADER}x`, UPLOADER.toUpperCase(), 'x'.repeat(16)]) {
      const r = access.authorize(`Bearer ${token}`);
      expect(isRefusal(r) && r.refused).toBe('permission-denied');
      if (isRefusal(r)) expect(r.message).not.toContain(token);
    }
  });

  it('lets nobody reveal when no token is configured', () => {
    const none = new RevealAccess([]);
    const r = none.authorize(`Bearer ${UPLOADER}`);
    expect(r).toMatchObject({
      refused: 'permission-denied',
      message: expect.stringMatching(/no caller may/),
    });
    expect(none.authorize(undefined)).toMatchObject({ refused: 'unauthenticated' });
  });
});

describe('checkPurpose', () => {
  it('requires a one-line purpose of at most 200 characters, trimmed', () => {
    expect(checkPurpose(' national-platform-upload ')).toEqual({ purpose: 'national-platform-upload' });
    expect(checkPurpose('x'.repeat(200))).toEqual({ purpose: 'x'.repeat(200) });
    for (const bad of [undefined, null, '', '   ', 42, 'x'.repeat(201), 'two\nlines']) {
      expect(checkPurpose(bad)).toMatchObject({ refused: 'invalid-argument', field: 'purpose' });
    }
    expect(checkPurpose(undefined)).toMatchObject({ message: expect.stringMatching(/purpose is required/) });
  });
});
