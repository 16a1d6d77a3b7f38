import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RunOptions, ScenarioResult } from './run-scenario';
import { describeLost } from './run-scenario';

export const RESULTS_START = '<!-- faults:results:start (written by npm run faults) -->';
export const RESULTS_END = '<!-- faults:results:end -->';
export const UPLINK_START = '<!-- faults:uplink:start (written by npm run faults) -->';
export const UPLINK_END = '<!-- faults:uplink:end -->';

export interface Report {
  results: ScenarioResult[];
  machine: string;
  commit: string;
  totalS: number;
  options: RunOptions;
  date: Date;
}

/** The results block of docs/reliability.md: the table and the evidence behind every failure. */
export function renderResults(report: Report): string {
  const r = { ...report, results: report.results.filter((x) => !x.uplink) };
  const f1 = (n: number) => n.toFixed(1);
  const lines = [
    RESULTS_START,
    '',
    `Run of ${r.date.toISOString()} (commit ${r.commit}) on ${r.machine}; whole stack on this machine. ` +
      `${r.options.rate} punches/s offered by ${r.options.devices} simulated devices, ${r.options.durationS} s of traffic per scenario ` +
      `(half before the fault, half after it, plus the fault itself); ${r.results.length} scenarios in ${f1(r.totalS)} s${report.results.length > r.results.length ? ' (the whole run, the uplink scenario included)' : ''}.`,
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

/**
 * The uplink block of docs/reliability.md: per fault, the records going up when it struck and the time
 * to recover; then what the platform holds against what it should, the ledger and the dead letters.
 */
export function renderUplinkResults(r: Report): string {
  const f1 = (n: number) => n.toFixed(1);
  const results = r.results.filter((x) => x.uplink);
  const lines = [
    UPLINK_START,
    '',
    `Run of ${r.date.toISOString()} (commit ${r.commit}) on ${r.machine}: the reporting service as a process on the suite's stack, ` +
      `the national platform simulator in the suite's process; registry and attendance events published to Kafka, three days of attendance.`,
    '',
    '| scenario | fault | records going up | upstream when it struck | time to recover |',
    '| --- | --- | --- | --- | --- |',
    ...results.flatMap((x) =>
      x.uplink!.phases.map(
        (p) =>
          `| \`${x.id}\` | ${p.fault} | ${p.records} | ${p.id === 'storm' ? 'none (published into the storm)' : p.acceptedAtFault} | ${p.recoverS === null ? 'not recovered' : `${f1(p.recoverS)} s`} |`,
      ),
    ),
    '',
    '| scenario | expected upstream | accepted | missing | doubled | ledger rows | DLQ | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((x) => {
      const u = x.uplink!;
      const ledger = Object.entries(u.ledger)
        .map(([status, n]) => `${n} ${status}`)
        .join(', ');
      return `| \`${x.id}\` | ${u.expected} | ${u.accepted} | ${u.missing} | ${u.doubled} | ${ledger || 'none'} | ${x.dlq} | ${x.pass ? 'pass' : '**FAIL**'} |`;
    }),
    '',
    'Details:',
    '',
    ...results.map((x) => {
      const items = [
        ...x.uplink!.byMethod.map(
          (c) =>
            `${c.method}: ${c.accepted} of ${c.expected} upstream, ${c.doubled.length} doubled, ${c.missing.length} missing`,
        ),
        ...[...x.dlqReasons].map(
          ([reason, n]) => `DLQ ×${n}: \`${reason.replace(/`/g, "'").replace(/\s+/g, ' ')}\``,
        ),
        ...x.notes.map((n) => n.replace(/\s+/g, ' ')),
        `scenario took ${f1(x.tookS)} s`,
      ];
      return `- \`${x.id}\`: ${items.join('. ')}.`;
    }),
    '',
    UPLINK_END,
  ];
  return lines.join('\n');
}

/** Replaces the block between `start` and `end` (or appends it). */
function replaceBlock(text: string, start: string, end: string, block: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  return a >= 0 && b > a
    ? text.slice(0, a) + block + text.slice(b + end.length)
    : `${text.trimEnd()}\n\n${block}\n`;
}

/**
 * Writes the blocks of the kinds of scenarios that ran: a run of the uplink scenario alone leaves the
 * punch scenarios' results in place, and the other way round.
 */
export async function writeReport(path: string, r: Report): Promise<void> {
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Reliability\n\n## Results\n\n';
  if (r.results.some((x) => !x.uplink))
    text = replaceBlock(text, RESULTS_START, RESULTS_END, renderResults(r));
  if (r.results.some((x) => x.uplink))
    text = replaceBlock(text, UPLINK_START, UPLINK_END, renderUplinkResults(r));
  writeFileSync(path, await formatted(path, text));
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
