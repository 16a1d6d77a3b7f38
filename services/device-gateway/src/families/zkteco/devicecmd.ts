/**
 * `POST /iclock/devicecmd?SN=..`: the results of the commands the device took from `getrequest`, one
 * per line: `ID=<id>&Return=<code>&CMD=<command word>` (some firmware puts a single result in the query
 * string instead). `Return=0` is success, a negative code an error. Range commands report how many
 * records they found: this gateway reads `Count=<n>` (also `AttLogCount=<n>`), and, when neither is
 * sent, a positive `Return` of a DATA QUERY / VERIFY SUM (firmware that returns the count there).
 */
import { isLineError, lineError, LineError, LinesResult, parseKeyValues, splitLines } from './zkteco-text';

export interface CommandResult {
  line: number;
  /** The `<seq>` of the `C:<seq>:` line this answers. */
  seq: number;
  /** The device's code, as sent. */
  returnCode: number;
  cmd?: string;
  /** Records found by a DATA QUERY / VERIFY SUM, when the device says. */
  count?: number;
}

const COUNT_KEYS = ['count', 'attlogcount'];

export function parseCommandResultFields(
  fields: Map<string, string>,
  line: number,
  text: string,
): CommandResult | LineError {
  const id = fields.get('id') ?? '';
  if (!/^\d{1,15}$/.test(id) || Number(id) < 1)
    return lineError(line, 'ID', 'must be the positive number of the C:<id>: line the command came in', text);
  const ret = fields.get('return') ?? '';
  if (!/^-?\d{1,9}$/.test(ret))
    return lineError(line, 'Return', 'must be the command result code: 0 success, negative an error', text);
  const result: CommandResult = { line, seq: Number(id), returnCode: Number(ret) };
  const cmd = fields.get('cmd');
  if (cmd) result.cmd = cmd;
  const count = countOf(fields);
  if (count !== undefined) result.count = count;
  return result;
}

function countOf(fields: Map<string, string>): number | undefined {
  for (const k of COUNT_KEYS) {
    const v = fields.get(k);
    if (v !== undefined && /^\d{1,12}$/.test(v)) return Number(v);
  }
  return undefined;
}

/** Every result line of a body (lines of `key=value` pairs joined by `&`). */
export function parseCommandResults(text: string): LinesResult<CommandResult> {
  const out: LinesResult<CommandResult> = { records: [], errors: [] };
  for (const { line, text: t } of splitLines(text)) {
    const r = parseCommandResultFields(parseKeyValues(t, '&'), line, t);
    if (isLineError(r)) out.errors.push(r);
    else out.records.push(r);
  }
  return out;
}

/** A result sent in the query string (`?SN=..&ID=..&Return=..&CMD=..`), or undefined when there is none. */
export function commandResultFromQuery(query: Record<string, string>): CommandResult | LineError | undefined {
  const fields = new Map(Object.entries(query).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  if (!fields.has('id') && !fields.has('return')) return undefined;
  const text = Object.entries(query)
    .filter(([k]) => k.toLowerCase() !== 'sn')
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return parseCommandResultFields(fields, 0, text);
}

/**
 * The count a range command found: `Count=` when sent, otherwise a positive `Return` of a DATA/VERIFY
 * result (firmware that returns the record count as the result code).
 */
export function rangeCount(result: CommandResult): number | undefined {
  if (result.count !== undefined) return result.count;
  return result.returnCode > 0 ? result.returnCode : undefined;
}
