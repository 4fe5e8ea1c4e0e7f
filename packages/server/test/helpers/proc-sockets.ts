import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Who holds a socket, from Linux's /proc: for tests that check which process serves a connection. */

/** Which of `pids` holds the end of a local TCP connection that has this local and remote port (Linux /proc); null when unknown. */
export function connectionOwner(localPort: number, remotePort: number, pids: number[]): number | null {
  let inode: string | undefined;
  const port = (address: string) => Number.parseInt(address.split(':').pop()!, 16);
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && fields[9] !== '0' && port(fields[1]!) === localPort && port(fields[2]!) === remotePort) inode = fields[9];
    }
  }
  if (!inode) return null;
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
        } catch {
          // the descriptor closed meanwhile
        }
      }
    } catch {
      // not Linux, or the process is gone
    }
  }
  return null;
}

/** The processes `pid` started (Linux /proc); empty when unknown. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Whether a process is still running: signal 0 checks without sending anything, and an exited one not yet reaped (a zombie) is gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // The state follows the command name in parentheses: Z (zombie) or X (dead).
    const state = /\)\s+(\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}
