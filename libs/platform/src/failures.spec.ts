import { ZodError } from 'zod';
import { backoffDelay, classifyFailure, PermanentFailure, retryTransient } from './failures';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, ...extra });

describe('classifyFailure', () => {
  it.each([
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['connection reset', withCode('read ECONNRESET', 'ECONNRESET')],
    [
      'PostgreSQL shutting down (57P01)',
      withCode('terminating connection due to administrator command', '57P01'),
    ],
    ['PostgreSQL starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['connection exception (08006)', withCode('connection failure', '08006')],
    ['serialization failure (40001)', withCode('could not serialize access', '40001')],
    ['deadlock (40P01)', withCode('deadlock detected', '40P01')],
    ['statement timeout (57014)', withCode('canceling statement due to statement timeout', '57014')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['pg without a code', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['TypeORM wrapping a driver error', named('QueryFailedError', { driverError: withCode('x', '57P01') })],
    ['kafkajs connection error', named('KafkaJSConnectionError')],
    ['kafkajs retries exhausted', named('KafkaJSNumberOfRetriesExceeded')],
    ['kafkajs retriable protocol error', named('KafkaJSProtocolError', { retriable: true })],
    [
      'kafkajs non-retriable wrapping a connection error',
      named('KafkaJSNonRetriableError', { cause: named('KafkaJSConnectionError') }),
    ],
    [
      'both address families refused',
      Object.assign(new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'ECONNREFUSED')]), {
        code: '',
      }),
    ],
    ['a version conflict', named('ConcurrencyConflict')],
    ['a dependency that cannot serve now', named('DependencyUnavailable')],
    ['ClickHouse client timeout', new Error('Timeout error.')],
    ['pg client closed', new Error('Client was closed and is not queryable')],
    ['TypeORM runner released', named('QueryRunnerAlreadyReleasedError')],
  ])('%s is transient', (_what, err) => {
    expect(classifyFailure(err)).toBe('transient');
  });

  it.each([
    ['PermanentFailure', new PermanentFailure('message has no valid ce_id header')],
    ['a contract violation', named('ContractViolation')],
    ['a zod error', new ZodError([])],
    [
      'JSON that does not parse',
      (() => {
        try {
          JSON.parse('{');
        } catch (e) {
          return e;
        }
      })(),
    ],
    ['a value PostgreSQL can never take (22P02)', withCode('invalid input syntax for type uuid', '22P02')],
    [
      'kafkajs non-retriable',
      named('KafkaJSProtocolError', { retriable: false, cause: new PermanentFailure('x') }),
    ],
  ])('%s is permanent', (_what, err) => {
    expect(classifyFailure(err)).toBe('permanent');
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a unique violation (23505)', withCode('duplicate key value violates unique constraint', '23505')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('%s is unknown', (_what, err) => {
    expect(classifyFailure(err)).toBe('unknown');
  });
});

describe('retryTransient', () => {
  it('waits out transient failures however many there are, then returns the result', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await retryTransient(
      async () => {
        calls++;
        if (calls <= 25) throw withCode('connect ECONNREFUSED', 'ECONNREFUSED');
        return 'ok';
      },
      { name: 'test', initialDelayMs: 1, maxDelayMs: 2, onRetry: (_e, attempt) => retries.push(attempt) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(26);
    expect(retries).toHaveLength(25);
  });

  it('throws a permanent or unknown failure at once', async () => {
    let calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw new PermanentFailure('bad input');
        },
        { name: 'test', initialDelayMs: 1 },
      ),
    ).rejects.toThrow('bad input');
    expect(calls).toBe(1);
    await expect(
      retryTransient(async () => Promise.reject(new TypeError('bug')), { name: 't' }),
    ).rejects.toThrow('bug');
  });

  it('stops when its signal is aborted', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new Error('shutting down')), 30);
    await expect(
      retryTransient(async () => Promise.reject(withCode('x', 'ECONNREFUSED')), {
        name: 'test',
        initialDelayMs: 5,
        maxDelayMs: 5,
        signal: ctl.signal,
      }),
    ).rejects.toThrow();
  });
});

describe('backoffDelay', () => {
  it('grows exponentially and never exceeds its cap', () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      const d = backoffDelay(attempt, 100, 3_000);
      expect(d).toBeGreaterThanOrEqual(Math.min(3_000, 100 * 2 ** (attempt - 1)) / 2);
      expect(d).toBeLessThanOrEqual(3_000);
    }
  });
});
