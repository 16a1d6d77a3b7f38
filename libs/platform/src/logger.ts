import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import pino from 'pino';

export interface RequestContext {
  correlationId: string;
}

/** Carries the correlation id of the request or message being handled, across awaits. */
export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentCorrelationId(): string | undefined {
  return requestContext.getStore()?.correlationId;
}

/** Provider token of the service's {@link JsonLogger}. */
export const LOGGER = Symbol('LOGGER');

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Personal and secret fields, redacted wherever they appear in a log entry (at the top, or nested up to
 * three objects deep, arrays included). `name` alone is not listed: it names components, topics and
 * devices far more often than people; a person's name is redacted under the keys that hold people.
 */
export const REDACTED_FIELDS = [
  'idNumber',
  'id_number',
  'idCardNumber',
  'id_card_number',
  'fullName',
  'full_name',
  'workerName',
  'personName',
  'realName',
  'phone',
  'mobile',
  'address',
  'birthDate',
  'birth_date',
  'bankCard',
  'bankCardNumber',
  'bank_card_number',
  'photo',
  'headPhoto',
  'head_photo',
  'faceImage',
  'secret',
  'token',
  'password',
  'authorization',
  'cookie',
  'apiKey',
  'x-signature',
] as const;

const PERSON_KEYS = ['worker', 'person', 'keyPerson', 'manager', 'contact'];

function redactPaths(): string[] {
  const key = (f: string) => (/^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`);
  const join = (prefix: string, f: string) =>
    key(f).startsWith('[') ? `${prefix}${key(f)}` : `${prefix}.${f}`;
  const paths: string[] = [];
  for (const f of REDACTED_FIELDS) paths.push(key(f), join('*', f), join('*.*', f), join('*.*.*', f));
  for (const p of PERSON_KEYS) paths.push(`${p}.name`, `*.${p}.name`);
  return paths;
}

export const REDACTION_CENSOR = '[redacted]';

/** Mainland ID numbers (with a plausible birth date, so project codes stay) and mobile numbers in text. */
const ID_NUMBER_IN_TEXT =
  /(?<![\dA-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])/g;
const MOBILE_IN_TEXT = /(?<!\d)1[3-9]\d{9}(?!\d)/g;

/** Masks ID and mobile numbers in text that is logged (the structured fields are redacted by key). */
export function scrubText(text: string): string {
  return text.replace(ID_NUMBER_IN_TEXT, REDACTION_CENSOR).replace(MOBILE_IN_TEXT, REDACTION_CENSOR);
}

/** bigint -> string and Error -> plain object, copying only what changes (pino would print `{}` for an Error). */
function plain(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return depth <= 1 ? scrubText(value) : value;
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return {
      type: e.name,
      message: scrubText(e.message),
      code: e.code,
      stack: e.stack && scrubText(e.stack),
    };
  }
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const p = plain(v, depth + 1);
      if (p !== v) (out ??= [...value])[i] = p;
    });
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const p = plain(v, depth + 1);
    if (p !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = p;
  }
  return out ?? value;
}

/**
 * One JSON object per line (pino), with the service name, the current correlation id, and personal and
 * secret fields redacted. `write` receives each line without its newline (tests collect them).
 */
export class JsonLogger implements LoggerService {
  private readonly pino: pino.Logger;

  constructor(
    private readonly service: string,
    minLevel: LogLevel = 'info',
    write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  ) {
    this.pino = pino(
      {
        level: minLevel,
        base: { service },
        messageKey: 'msg',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => {
          const correlationId = currentCorrelationId();
          return correlationId ? { correlationId } : {};
        },
        redact: { paths: redactPaths(), censor: REDACTION_CENSOR },
      },
      { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) },
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }

  /** Structured entry: `logger.event('info', 'punches accepted', { count: 3 })`. */
  event(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.pino.isLevelEnabled(level)) return;
    // msg first in the object, so it comes right after level, time and service in the line.
    this.pino[level](plain({ msg, ...fields }) as object);
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    // Nest passes (message, context) or (message, stack, context).
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.error = message.message;
      fields.stack = message.stack;
      this.event(level, message.message, fields);
    } else if (typeof message === 'object' && message !== null) {
      this.event(level, String((message as { msg?: unknown }).msg ?? ''), {
        ...fields,
        ...(message as object),
      });
    } else {
      this.event(level, String(message), fields);
    }
  }
}

/** What the @clickhouse/client `log.LoggerClass` option expects (kept structural: no import of the client). */
export interface ClickHouseLogParams {
  module: string;
  message: string;
  args?: Record<string, unknown>;
  err?: Error;
}
export interface ClickHouseLogger {
  trace(p: ClickHouseLogParams): void;
  debug(p: ClickHouseLogParams): void;
  info(p: ClickHouseLogParams): void;
  warn(p: ClickHouseLogParams): void;
  error(p: ClickHouseLogParams): void;
}

/**
 * A logger class for the ClickHouse client (`createClient({ log: { LoggerClass } })`): each entry becomes
 * one JSON line of the service's log instead of the client's multi-line text. The client constructs the
 * class itself without arguments, hence a class bound to `logger`.
 */
export function clickHouseLoggerClass(logger: JsonLogger): new () => ClickHouseLogger {
  const entry = (level: LogLevel, { module, message, args, err }: ClickHouseLogParams) =>
    logger.event(level, `clickhouse: ${message}`, {
      module,
      ...(args ? { args } : {}),
      ...(err ? { error: err.message, errorType: err.name } : {}),
    });
  return class implements ClickHouseLogger {
    trace(p: ClickHouseLogParams) {
      entry('debug', p);
    }
    debug(p: ClickHouseLogParams) {
      entry('debug', p);
    }
    info(p: ClickHouseLogParams) {
      entry('info', p);
    }
    warn(p: ClickHouseLogParams) {
      entry('warn', p);
    }
    error(p: ClickHouseLogParams) {
      entry('error', p);
    }
  };
}
