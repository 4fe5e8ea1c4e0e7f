import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the whole process's CPU priority to `niceness` (Unix nice; higher yields more). On Linux
 * nice belongs to each thread, and `setPriority` alone reaches only the calling one: V8's worker
 * threads, which run most of the garbage collection and started with the process, would keep the
 * old priority and compete with the processes this one is meant to yield to. So every thread is
 * set; threads started later inherit it. Where the system does not allow it, nothing changes.
 */
export function lowerProcessPriority(niceness: number): void {
  try {
    for (const thread of threadIds()) setPriority(thread, niceness);
  } catch {
    // not permitted here: the process runs at the priority it was started with
  }
}

function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0]; // no /proc: the calling thread, which elsewhere stands for the process
  }
}
