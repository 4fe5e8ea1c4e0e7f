import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * CPU time spent by the processes of a measurement, read from /proc (Linux): where a run's work went,
 * so a throughput ratio can be told apart into the node's, the database's and the load generator's
 * share. Elsewhere every figure is null and the bench says so.
 */
export interface CpuSample {
  /** Milliseconds of user + system time, per group of processes. */
  groups: Record<string, number>;
  /** Milliseconds the machine's cores spent idle. */
  idle: number;
  at: number;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux this runs on

interface ProcessCpu {
  pid: number;
  ppid: number;
  name: string;
  /** CPU ticks so far: utime and stime, and the same of children it has waited for (PostgreSQL's
   * postmaster thereby keeps the time of a connection's backend that ended during the measurement). */
  ticks: number;
}

/** Every process, each read from its /proc/<pid>/stat once. */
function processes(): ProcessCpu[] {
  const found: ProcessCpu[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields are counted after its closing one.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      found.push({ pid, ppid: Number(fields[1]), name, ticks });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A process and its descendants (the node and its WebSocket process, say). */
function tree(root: number, all: ProcessCpu[]): ProcessCpu[] {
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) for (const p of all) if (p.ppid === found[i]!.pid) found.push(p);
  return found;
}

/**
 * Samples `roots` (each with its descendants, which also appear on their own as `<name> children`:
 * the node's WebSocket process, say), every PostgreSQL process, and this process.
 */
export function sampleCpu(roots: Record<string, number | undefined>): CpuSample | null {
  let idleLine: string;
  try {
    idleLine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  } catch {
    return null;
  }
  const all = processes();
  const groups: Record<string, number> = {};
  for (const [name, pid] of Object.entries(roots)) {
    if (pid === undefined) continue;
    const [own, ...descendants] = tree(pid, all);
    if (own === undefined) continue;
    const children = descendants.reduce((sum, one) => sum + one.ticks, 0) * TICK_MS;
    groups[name] = own.ticks * TICK_MS + children;
    if (descendants.length > 0) groups[`${name} children`] = children;
  }
  groups.postgres = all.filter((p) => p.name === 'postgres').reduce((sum, p) => sum + p.ticks, 0) * TICK_MS;
  const usage = process.cpuUsage();
  groups.bench = (usage.user + usage.system) / 1000;
  const [, , , , idle, iowait] = idleLine.split(/\s+/).map(Number);
  return { groups, idle: ((idle ?? 0) + (iowait ?? 0)) * TICK_MS, at: performance.now() };
}

/** Milliseconds of CPU per group between two samples, and the machine's idle share. */
export function cpuSpent(before: CpuSample | null, after: CpuSample | null): string {
  if (!before || !after) return 'CPU accounting unavailable (no /proc)';
  const parts = Object.keys(after.groups).map((name) => `${name} ${(after.groups[name]! - (before.groups[name] ?? 0)).toFixed(0)}`);
  return `${parts.join(', ')} ms of CPU in ${(after.at - before.at).toFixed(0)} ms; machine idle ${idlePercent(before, after)}%`;
}

function idlePercent(before: CpuSample, after: CpuSample): string {
  const share = (after.idle - before.idle) / ((after.at - before.at) * cpus().length);
  return (Math.max(0, share) * 100).toFixed(0);
}

/** Microseconds of CPU per item of work, per group, between two samples; and the machine's idle share. */
export function cpuPerItem(before: CpuSample | null, after: CpuSample | null, items: number): string {
  if (!before || !after || items <= 0) return 'CPU accounting unavailable (no /proc)';
  const parts = Object.keys(after.groups).map((name) => {
    const usedMs = after.groups[name]! - (before.groups[name] ?? 0);
    return `${name} ${((usedMs * 1000) / items).toFixed(0)}`;
  });
  return `${parts.join(', ')} µs; machine idle ${idlePercent(before, after)}%`;
}
