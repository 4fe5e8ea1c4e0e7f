import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * PGlite is one process's database, so `proof serve` holds a lock on its data folder while it runs and
 * the CLI asks the lock (not a PID file) whether a server is there. The lock is a listening Unix socket:
 * the kernel closes it when the process dies however it dies, so a crash (SIGKILL, OOM, a container
 * restart that hands the new process the old PID) never leaves a lock that needs a human. On Linux the
 * socket lives in the abstract namespace (no file at all); elsewhere it is a file in the data folder,
 * and a file nobody listens on is stale and replaced.
 */
export interface EmbeddedLock {
  release(): Promise<void>;
}

export function lockAddress(dataDir: string): string {
  if (process.platform === 'linux') {
    return `\0proof-ramp-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 40)}`;
  }
  return join(dataDir, 'server.lock');
}

/** Takes the lock, or answers null when another live process holds it. */
export async function acquireEmbeddedLock(dataDir: string): Promise<EmbeddedLock | null> {
  const address = lockAddress(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    const server = createServer((socket) => socket.end());
    const outcome = await listen(server, address);
    if (outcome === 'listening') {
      server.unref();
      return { release: () => new Promise((done) => server.close(() => done())) };
    }
    if (await isEmbeddedLockHeld(dataDir)) return null;
    // A socket file that nobody listens on: its owner died. (Abstract sockets never get here.)
    rmSync(address, { force: true });
  }
  return null;
}

/** Whether a live process holds the lock on this data folder. */
export function isEmbeddedLockHeld(dataDir: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(lockAddress(dataDir));
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function listen(server: Server, address: string): Promise<'listening' | 'in-use'> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? done('in-use') : fail(error)));
    server.listen(address, () => done('listening'));
  });
}
