import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FuzzRunOptions {
  schemathesis: string;
  openapiUrl: string;
  token: string;
  reportDir: string;
  maxExamples: number;
  workers: number;
  /** Killed after this long: the token must still be valid for the run's last request. */
  timeoutMs: number;
  hooksDir: string;
}

export interface FuzzRunResult {
  exitCode: number | null;
  operations: number;
  failures: number;
  /** The output's last lines, shown when the run failed. */
  tail: string;
  timedOut: boolean;
}

/**
 * One Schemathesis run: every phase, every check, the bearer token as a header (Schemathesis strips it
 * for the `ignored_auth` check), the project's hooks (hooks/realname_api_fuzz.py) loaded.
 */
export async function runSchemathesis(o: FuzzRunOptions): Promise<FuzzRunResult> {
  mkdirSync(o.reportDir, { recursive: true });
  const jsonReport = join(o.reportDir, 'report.json');
  const args = [
    'run',
    o.openapiUrl,
    '--checks',
    'all',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--header',
    `Authorization: Bearer ${o.token}`,
    '--max-examples',
    String(o.maxExamples),
    '--workers',
    String(o.workers),
    '--seed',
    process.env.API_FUZZ_SEED ?? String(Date.now() % 1_000_000),
    '--request-timeout',
    '10',
    '--continue-on-failure',
    '--report',
    'junit,json',
    '--report-dir',
    o.reportDir,
    '--report-json-path',
    jsonReport,
    '--output-sanitize',
    'true',
    '--no-color',
  ];
  const child = spawn(o.schemathesis, args, {
    env: {
      ...process.env,
      SCHEMATHESIS_HOOKS: 'realname_api_fuzz',
      PYTHONPATH: [o.hooksDir, process.env.PYTHONPATH].filter(Boolean).join(':'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, o.timeoutMs);
  const exitCode = await new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  clearTimeout(timer);
  const { operations, failures } = summarise(jsonReport, output);
  return { exitCode, operations, failures, tail: output.split('\n').slice(-80).join('\n'), timedOut };
}

function summarise(jsonReport: string, output: string): { operations: number; failures: number } {
  if (existsSync(jsonReport)) {
    try {
      const r = JSON.parse(readFileSync(jsonReport, 'utf8')) as Record<string, unknown>;
      return fromReport(r);
    } catch {
      /* fall back to the console summary */
    }
  }
  const ops = /API Operations:[\s\S]*?Tested:\s*(\d+)/.exec(output);
  const failed = /(\d+) unique failures?/.exec(output);
  return { operations: ops ? Number(ops[1]) : 0, failures: failed ? Number(failed[1]) : 0 };
}

/** Operations tested, and failures (unique) plus errors: an error means a check could not run. */
function fromReport(r: Record<string, unknown>): { operations: number; failures: number } {
  const ops = r.operations as { tested?: number } | undefined;
  const cases = r.test_cases as { unique_failures?: number } | undefined;
  const errors = (r.errors as { count?: number }[] | undefined) ?? [];
  return {
    operations: ops?.tested ?? 0,
    failures: (cases?.unique_failures ?? 0) + errors.reduce((n, e) => n + (e.count ?? 0), 0),
  };
}
