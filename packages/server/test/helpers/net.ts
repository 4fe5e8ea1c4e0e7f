import { type AddressInfo, createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on: the operating system picks it, the probe lets it
 * go again, and the caller binds it (a child process's PORT) or keeps it closed (a peer that refuses
 * connections). Plain Node, no test runner: benchmarks import it too.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
