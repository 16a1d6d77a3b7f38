import { parseArgs } from './cli-args';

describe('parseArgs', () => {
  it('applies the documented defaults', () => {
    expect(parseArgs(['--api-key', 'K'], {})).toEqual({
      kind: 'run',
      args: {
        apiKey: 'K',
        port: 8090,
        host: '127.0.0.1',
        seed: 1,
        projects: 5,
        region: '330106',
        wrongCategoryRate: 0.05,
        emptyPostRate: 0.05,
        history: true,
        pageSizeMax: 500,
        verbose: false,
      },
    });
  });

  it('reads every option, in both spellings', () => {
    const parsed = parseArgs(
      [
        '--port=0',
        '--api-key',
        'K',
        '--seed',
        '42',
        '--projects',
        '12',
        '--region=420106',
        '--wrong-category-rate',
        '0.5',
        '--empty-post-rate',
        '0',
        '--no-history',
        '--page-size-max',
        '50',
        '--verbose',
        '--host',
        '0.0.0.0',
      ],
      {},
    );
    expect(parsed).toEqual({
      kind: 'run',
      args: {
        apiKey: 'K',
        port: 0,
        host: '0.0.0.0',
        seed: 42,
        projects: 12,
        region: '420106',
        wrongCategoryRate: 0.5,
        emptyPostRate: 0,
        history: false,
        pageSizeMax: 50,
        verbose: true,
      },
    });
  });

  it('takes the key from INTEGRITY_API_KEY', () => {
    expect(parseArgs([], { INTEGRITY_API_KEY: 'E' })).toMatchObject({ kind: 'run', args: { apiKey: 'E' } });
  });

  it('names the argument at fault', () => {
    const error = (argv: string[]) => {
      const p = parseArgs(argv, {});
      return p.kind === 'error' ? p.message : undefined;
    };
    expect(error([])).toMatch(/--api-key is required/);
    expect(error(['--api-key', 'K', '--port', '70000'])).toMatch(/--port must be a whole number/);
    expect(error(['--api-key', 'K', '--projects'])).toMatch(/--projects needs a value/);
    expect(error(['--api-key', 'K', '--empty-post-rate', '1.5'])).toMatch(
      /--empty-post-rate must be a number/,
    );
    expect(error(['--api-key', 'K', '--region', '33'])).toMatch(/--region must be a six-digit/);
    expect(error(['--api-key', 'K', '--verbose=yes'])).toMatch(/--verbose takes no value/);
    expect(error(['--api-key', 'K', '--frobnicate', '1'])).toMatch(/unknown option --frobnicate/);
    expect(error(['--api-key', 'K', 'extra'])).toMatch(/unexpected argument "extra"/);
    expect(parseArgs(['--help'], {})).toEqual({ kind: 'help' });
  });
});
