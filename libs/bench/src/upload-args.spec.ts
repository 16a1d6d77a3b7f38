import { parseUploadArgs } from './upload-args';

describe('bench:upload command line', () => {
  it("has a city's day by default", () => {
    expect(parseUploadArgs([], 'out.md')).toEqual({
      kind: 'run',
      options: {
        source: 'punches',
        workers: 200_000,
        workersPerProject: 200,
        publishSeconds: 300,
        rateLimit: 2,
        asyncDelayMs: 1000,
        timeoutS: 1800,
        out: 'out.md',
        write: true,
      },
    });
  });

  it('reads a smaller day, the pace, the platform and the switches', () => {
    const r = parseUploadArgs(
      [
        '--workers',
        '20_000',
        '--publish-seconds=0',
        '--rate-limit',
        '5',
        '--async-delay-ms',
        '0',
        '--no-write',
        '--source',
        'days',
      ],
      'o',
    );
    expect(r).toMatchObject({
      kind: 'run',
      options: {
        source: 'days',
        workers: 20_000,
        publishSeconds: 0,
        rateLimit: 5,
        asyncDelayMs: 0,
        write: false,
      },
    });
  });

  it('names the flag at fault', () => {
    expect(parseUploadArgs(['--workers', '0'], 'o')).toEqual({
      kind: 'error',
      message: '--workers must be a positive whole number, got "0"',
    });
    expect(parseUploadArgs(['--workers', '100', '--workers-per-project', '200'], 'o')).toEqual({
      kind: 'error',
      message: '--workers-per-project (200) is more than --workers (100)',
    });
    expect(parseUploadArgs(['--publish-seconds', '-1'], 'o')).toMatchObject({ kind: 'error' });
    expect(parseUploadArgs(['--source', 'weeks'], 'o')).toEqual({
      kind: 'error',
      message: '--source must be punches or days, got "weeks"',
    });
    expect(parseUploadArgs(['--help'], 'o')).toEqual({ kind: 'help' });
  });
});
