/** The command line of `npm run bench:ingest` (read by `node:util` `parseArgs`). */
import { readCommandLine } from '@realname/contracts';
import type { BenchFamily } from './families';
import { DEFAULT_MIX, familyBatches, parseMix } from './load';

export const USAGE = `Usage: npm run bench:ingest -- [options]

Drives the device gateway with many simulated devices of mixed families against the whole running
stack and appends the results to docs/benchmarks.md. Every option is optional. The services check
OAuth 2.0 tokens of the local stack's issuer ($REALNAME_OIDC_ISSUER, else http://127.0.0.1:58180/realms/realname);
the devices are registered as the test user dev-hz (device administrator), tokens renewed as needed.

  --rate N             punches per second offered                       [default 5000]
  --duration N         measured seconds                                  [default 300]
  --warmup N           seconds before measuring                          [default 15]
  --devices N          simulated devices                                 [default 200]
  --mix LIST           share of punches per family, family:percent,...   [default ${DEFAULT_MIX}]
  --zkteco-batch N     ATTLOG lines per ZKTeco upload                    [default 5]
  --open-batch N       punches per open-protocol batch                   [default 20]
  --sample N           every Nth punch is followed until queryable       [default 20]
  --out FILE           where the results are appended                    [default docs/benchmarks.md]
  --no-write           print the results only
  --help               this text
`;

export interface IngestOptions {
  rate: number;
  durationS: number;
  warmupS: number;
  devices: number;
  mix: Record<BenchFamily, number>;
  batch: Record<BenchFamily, number>;
  sampleEvery: number;
  out: string;
  write: boolean;
}

const OPTIONS = {
  rate: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  devices: { type: 'string' },
  mix: { type: 'string' },
  'zkteco-batch': { type: 'string' },
  'open-batch': { type: 'string' },
  sample: { type: 'string' },
  out: { type: 'string' },
  'no-write': { type: 'boolean' },
} as const;

export type ParsedIngestArgs =
  { kind: 'run'; options: IngestOptions } | { kind: 'help' } | { kind: 'error'; message: string };

/** Errors name the flag and what to give. */
export function parseIngestArgs(argv: readonly string[], defaultOut: string): ParsedIngestArgs {
  const line = readCommandLine(argv, OPTIONS);
  if (line.kind !== 'values') return line;
  const o = line.values;
  const num = (name: keyof typeof OPTIONS, dflt: number): number => {
    const v = o[name];
    if (v === undefined || typeof v === 'boolean') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  try {
    return {
      kind: 'run',
      options: {
        rate: num('rate', 5000),
        durationS: num('duration', 300),
        warmupS: num('warmup', 15),
        devices: num('devices', 200),
        mix: parseMix(o.mix ?? DEFAULT_MIX),
        batch: familyBatches(num('zkteco-batch', 5), num('open-batch', 20)),
        sampleEvery: num('sample', 20),
        out: o.out ?? defaultOut,
        write: !o['no-write'],
      },
    };
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
}
