import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time used so far (user + system, in seconds) by each group of processes. */
export type CpuSnapshot = Map<string, number>;

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Reads /proc/<pid>/stat of every process (Linux) and adds up user + system time per group; `groupOf`
 * names the group of a process from its pid and command name (undefined: "other").
 */
export function cpuSnapshot(groupOf: (pid: number, comm: string) => string | undefined): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out; // not Linux: no figures
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    // Fields after the command: state is field 3, utime 14 and stime 15 (1-based, see proc(5)).
    const fields = stat.slice(close + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / clockTicks();
    const group = groupOf(Number(entry), comm) ?? 'other';
    out.set(group, (out.get(group) ?? 0) + seconds);
  }
  return out;
}

/** Cores used per group between two snapshots taken `seconds` apart. */
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot, seconds: number): Map<string, number> {
  const used = new Map<string, number>();
  for (const [group, total] of after) {
    // A process that exited between the snapshots takes its time with it: never below zero.
    used.set(group, Math.max(0, (total - (before.get(group) ?? 0)) / seconds));
  }
  return used;
}
