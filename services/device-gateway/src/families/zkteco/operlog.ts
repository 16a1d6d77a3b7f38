/**
 * `POST /iclock/cdata?SN=..&table=OPERLOG`: what happened on the device itself, one tagged line each:
 * `OPLOG <op>\t<admin>\t<time>\t<obj1>\t<obj2>\t<obj3>\t<obj4>` (an operation, positional fields) and
 * `USER PIN=..\tName=..\tPri=..\tPasswd=..\tCard=..`, `FP PIN=..\tFID=..`, `FACE PIN=..`, `USERPIC PIN=..`,
 * `BIOPHOTO PIN=..` (`key=value` fields). Names are GB2312 on a Chinese-language device: decode the
 * body with decodeDeviceText before parsing. None of these is a punch.
 */
import { ZK_PIN } from './attlog';
import { isLineError, lineError, LineError, LinesResult, parseKeyValues, splitLines } from './zkteco-text';

export interface OplogEntry {
  kind: 'OPLOG';
  line: number;
  /** The operation code (e.g. 0 power on, 4 enter menu, 6 enrol fingerprint, 30 new user). */
  op: number;
  admin: string;
  time: string;
  objects: string[];
}

export interface UserEntry {
  kind: 'USER';
  line: number;
  pin: string;
  name: string;
  privilege?: string;
  card?: string;
}

/** Templates and photos of a user; only the PIN and the field names are kept (templates are biometric data). */
export interface BiometricEntry {
  kind: 'FP' | 'FACE' | 'USERPIC' | 'BIOPHOTO';
  line: number;
  pin: string;
  fields: string[];
}

/** A tag this gateway does not interpret (firmware adds new ones); kept in the raw request only. */
export interface OtherEntry {
  kind: 'other';
  line: number;
  tag: string;
}

export type OperlogEntry = OplogEntry | UserEntry | BiometricEntry | OtherEntry;

const BIOMETRIC = new Set(['FP', 'FACE', 'USERPIC', 'BIOPHOTO']);
const TAG = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

export function parseOperlogLine(text: string, line: number): OperlogEntry | LineError {
  const space = text.search(/[ \t]/);
  const tag = (space < 0 ? text : text.slice(0, space)).trim();
  const rest = space < 0 ? '' : text.slice(space + 1);
  if (!TAG.test(tag))
    return lineError(
      line,
      'tag',
      'must start the line: OPLOG, USER, FP, FACE, USERPIC or BIOPHOTO, then a space',
      text,
    );
  const upper = tag.toUpperCase();
  if (upper === 'OPLOG') return oplog(rest, line, text);
  if (upper === 'USER') return user(rest, line, text);
  if (BIOMETRIC.has(upper)) return biometric(upper as BiometricEntry['kind'], rest, line, text);
  return { kind: 'other', line, tag };
}

function oplog(rest: string, line: number, text: string): OplogEntry | LineError {
  const [op, admin = '', time = '', ...objects] = rest.split('\t').map((f) => f.trim());
  if (!/^\d{1,5}$/.test(op ?? ''))
    return lineError(
      line,
      'OPLOG',
      'must be followed by the operation code (a number), then TAB-separated admin, time, objects',
      text,
    );
  return { kind: 'OPLOG', line, op: Number(op), admin, time, objects };
}

function user(rest: string, line: number, text: string): UserEntry | LineError {
  const kv = parseKeyValues(rest, '\t');
  const pin = kv.get('pin') ?? '';
  if (!ZK_PIN.test(pin)) return lineError(line, 'PIN', 'USER lines need PIN=<1-24 letters or digits>', text);
  const entry: UserEntry = { kind: 'USER', line, pin, name: kv.get('name') ?? '' };
  const privilege = kv.get('pri');
  if (privilege) entry.privilege = privilege;
  const card = kv.get('card');
  if (card) entry.card = card;
  return entry;
}

function biometric(
  kind: BiometricEntry['kind'],
  rest: string,
  line: number,
  text: string,
): BiometricEntry | LineError {
  const kv = parseKeyValues(rest, '\t');
  const pin = kv.get('pin') ?? '';
  if (!ZK_PIN.test(pin))
    return lineError(line, 'PIN', `${kind} lines need PIN=<1-24 letters or digits>`, text);
  return { kind, line, pin, fields: [...kv.keys()] };
}

/** Parses the decoded body: each tagged line, and an error for each line that is not one. */
export function parseOperlog(text: string): LinesResult<OperlogEntry> {
  const out: LinesResult<OperlogEntry> = { records: [], errors: [] };
  for (const { line, text: t } of splitLines(text)) {
    const r = parseOperlogLine(t, line);
    if (isLineError(r)) out.errors.push(r);
    else out.records.push(r);
  }
  return out;
}

/** A one-line account of the entries for the kept request and the logs: "2 USER (10001 张三, 10002 李四), 1 OPLOG". */
export function summariseOperlog(entries: OperlogEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const k = e.kind === 'other' ? e.tag : e.kind;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const users = entries.filter((e): e is UserEntry => e.kind === 'USER');
  return [...counts]
    .map(([k, n]) =>
      k === 'USER'
        ? `${n} USER (${users
            .slice(0, 20)
            .map((u) => `${u.pin} ${u.name}`.trim())
            .join(', ')}${users.length > 20 ? ', ...' : ''})`
        : `${n} ${k}`,
    )
    .join(', ');
}
