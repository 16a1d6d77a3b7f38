/**
 * The command line of every CLI of the platform (simulators, site agent, demo, bench), read by
 * `node:util` `parseArgs`. It adds what `parseArgs` leaves to the caller: `--help`/`-h` wins whatever
 * else is given, and each mistake is one sentence naming the flag (`--workers needs a value`,
 * `unknown option --frobnicate`, `unexpected argument "stray"`), so each CLI only checks its values.
 */
import { parseArgs } from 'node:util';

export interface CommandLineOption {
  type: 'string' | 'boolean';
  /** A string option that may be given several times (collected in order). */
  multiple?: boolean;
}

export type CommandLineValues<O extends Record<string, CommandLineOption>> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean'
    ? boolean
    : O[K]['multiple'] extends true
      ? string[]
      : string;
};

export type CommandLine<O extends Record<string, CommandLineOption>> =
  { kind: 'values'; values: CommandLineValues<O> } | { kind: 'help' } | { kind: 'error'; message: string };

/** Reads long options (`--name value` or `--name=value`); no positional arguments. */
export function readCommandLine<const O extends Record<string, CommandLineOption>>(
  argv: readonly string[],
  options: O,
): CommandLine<O> {
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { kind: 'help' };
  const values: Record<string, string | boolean | string[]> = {};
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') return error(`unexpected argument "${t.value.slice(0, 40)}"`);
    const option = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (!option || !t.rawName.startsWith('--')) return error(`unknown option ${t.rawName}`);
    if (option.type === 'boolean') {
      if (t.value !== undefined) return error(`${t.rawName} takes no value`);
      values[t.name] = true;
      continue;
    }
    // `--workers --seed 1`: a forgotten value, not the value "--seed".
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--') && t.value.length > 2))
      return error(`${t.rawName} needs a value`);
    if (option.multiple) values[t.name] = [...((values[t.name] as string[] | undefined) ?? []), t.value];
    else values[t.name] = t.value;
  }
  return { kind: 'values', values: values as CommandLineValues<O> };
}

/** What a CLI's argument reader returns: its settings, a request for help, or one sentence of error. */
export type ParsedCommandLine<A> =
  { kind: 'run'; args: A } | { kind: 'help' } | { kind: 'error'; message: string };

/** Checks one option's value: returns it converted, or throws a sentence naming `flag` and what to give. */
export type ValueCheck = (value: string, flag: string) => string | number;

/** A whole number from `min` to `max`. */
export const wholeNumber =
  (min: number, max: number): ValueCheck =>
  (v, flag) => {
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new Error(`${flag} must be a whole number from ${min} to ${max} (got "${v}")`);
    }
    return Number(v);
  };

/** Any text but the empty one. */
export const notEmpty: ValueCheck = (v, flag) => {
  if (!v) throw new Error(`${flag} must not be empty`);
  return v;
};

function error(message: string): { kind: 'error'; message: string } {
  return { kind: 'error', message };
}
