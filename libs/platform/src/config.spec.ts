import { z } from 'zod';
import { ConfigurationError, env, loadConfig, redactConfig, secret } from './config';

const schema = z.object({
  PORT: env.port(8080),
  DATABASE_URL: secret(env.url()),
  KAFKA_BROKERS: env.brokers(),
  REGION: env.region(),
  VERBOSE: env.bool(false),
});

describe('configuration at boot', () => {
  it('reads and converts good variables, with defaults', () => {
    const c = loadConfig(schema, {
      DATABASE_URL: 'postgres://u:p@localhost:5432/db',
      KAFKA_BROKERS: 'a:9092, b:9092',
      REGION: '330106',
    });
    expect(c).toEqual({
      PORT: 8080,
      DATABASE_URL: 'postgres://u:p@localhost:5432/db',
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      REGION: '330106',
      VERBOSE: false,
    });
  });

  it('lists every bad variable at once, not only the first', () => {
    let error: ConfigurationError | undefined;
    try {
      loadConfig(schema, { PORT: '99999', KAFKA_BROKERS: 'no-port', REGION: '33', VERBOSE: 'yes' });
    } catch (e) {
      error = e as ConfigurationError;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error!.problems.map((p) => p.variable).sort()).toEqual([
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'PORT',
      'REGION',
      'VERBOSE',
    ]);
    expect(error!.problems.find((p) => p.variable === 'DATABASE_URL')!.message).toBe(
      'is required but not set',
    );
    expect(error!.message).toMatch(/5 configuration variable\(s\) are wrong/);
  });

  it('treats an empty variable as unset', () => {
    expect(() => loadConfig(schema, { DATABASE_URL: '', KAFKA_BROKERS: 'a:1', REGION: '330106' })).toThrow(
      /DATABASE_URL: is required/,
    );
  });

  it('never shows a secret when the configuration is logged', () => {
    const c = loadConfig(schema, {
      DATABASE_URL: 'postgres://u:hunter2@h/db',
      KAFKA_BROKERS: 'a:1',
      REGION: '330106',
    });
    const shown = JSON.stringify(redactConfig(schema, c));
    expect(shown).not.toContain('hunter2');
    expect(shown).toContain('"DATABASE_URL":"***"');
  });
});
