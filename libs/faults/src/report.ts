import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RunOptions, ScenarioResult } from './run-scenario';
import { describeLost } from './run-scenario';

export const RESULTS_START = '<!-- faults:results:start (written by npm run faults) -->';
export const RESULTS_END = '<!-- faults:results:end -->';

export interface Report {
  results: ScenarioResult[];
  machine: string;
  commit: string;
  totalS: number;
  options: RunOptions;
  date: Date;
}

/** The results block of docs/reliability.md: the table and the evidence behind every failure. */
export function renderResults(r: Report): string {
  const f1 = (n: number) => n.toFixed(1);
  const lines = [
    RESULTS_START,
    '',
    `Run of ${r.date.toISOString()} (commit ${r.commit}) on ${r.machine}; whole stack on this machine. ` +
      `${r.options.rate} punches/s offered by ${r.options.devices} simulated devices, ${r.options.durationS} s of traffic per scenario ` +
      `(half before the fault, half after it, plus the fault itself); ${r.results.length} scenarios in ${f1(r.totalS)} s.`,
    '',
    '| scenario | rate/s offered (acknowledged) | acknowledged | found in attendance | found in ClickHouse | lost | doubled | DLQ | time to recover | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.results.map(
      (x) =>
        `| ${x.title} (\`${x.id}\`) | ${x.rate} (${x.trafficS > 0 ? Math.round(x.acknowledged / x.trafficS) : 0}) | ${x.acknowledged} | ${x.attendance.found} | ${x.clickhouse.found} | ${x.lost} | ${x.doubled} | ${x.dlq} | ${x.recoverS === null ? 'not recovered' : `${f1(x.recoverS)} s`} | ${x.pass ? 'pass' : '**FAIL**'} |`,
    ),
    '',
  ];
  const evidence: string[] = [];
  for (const x of r.results) {
    const items: string[] = [];
    if (x.attendance.lost.length)
      items.push(
        `lost in attendance (${x.attendance.lost.length}): ${x.attendance.lost.slice(0, 5).map(describeLost).join('; ')}${x.attendance.lost.length > 5 ? '; ...' : ''}`,
      );
    if (x.clickhouse.lost.length)
      items.push(
        `lost in ClickHouse (${x.clickhouse.lost.length}): ${x.clickhouse.lost.slice(0, 5).map(describeLost).join('; ')}${x.clickhouse.lost.length > 5 ? '; ...' : ''}`,
      );
    const doubled = [
      ...x.attendance.doubled.map((d) => ({ ...d, where: 'attendance' })),
      ...x.clickhouse.doubled.map((d) => ({ ...d, where: 'ClickHouse' })),
    ];
    if (doubled.length)
      items.push(
        `doubled: ${doubled
          .slice(0, 5)
          .map((d) => `person ${d.personId} ${d.times} times in ${d.where}`)
          .join('; ')}${doubled.length > 5 ? '; ...' : ''}`,
      );
    for (const [reason, n] of x.dlqReasons)
      items.push(`DLQ ×${n}: \`${reason.replace(/`/g, "'").replace(/\s+/g, ' ')}\``);
    items.push(...x.notes.map((n) => n.replace(/\s+/g, ' ')));
    if (x.errors || x.refused)
      items.push(
        `devices had ${x.refused} punches refused and ${x.errors} unanswered during the fault (not acknowledged, so a real device keeps and resends them; first: \`${(x.firstError ?? '').replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 160)}\`)`,
      );
    if (x.attendance.unacknowledged)
      items.push(
        `${x.attendance.unacknowledged} punches in attendance whose acknowledgement never reached the device (not an error)`,
      );
    items.push(
      `scenario took ${f1(x.tookS)} s${x.quiesced ? `; quiescent ${f1(x.quiescenceS)} s after the traffic stopped` : ''}`,
    );
    evidence.push(`- \`${x.id}\`: ${items.join('. ')}.`);
  }
  lines.push('Details:', '', ...evidence, '', RESULTS_END);
  return lines.join('\n');
}

export async function writeReport(path: string, r: Report): Promise<void> {
  const block = renderResults(r);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Reliability\n\n## Results\n\n';
  const a = text.indexOf(RESULTS_START);
  const b = text.indexOf(RESULTS_END);
  const next =
    a >= 0 && b > a
      ? text.slice(0, a) + block + text.slice(b + RESULTS_END.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, await formatted(path, next));
}

/** The project's formatting (the static checks run prettier --check on docs too). */
async function formatted(path: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(path)) ?? {};
    return await prettier.format(text, { ...config, filepath: path });
  } catch {
    return text;
  }
}
