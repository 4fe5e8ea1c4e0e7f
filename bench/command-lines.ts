import { createInterface } from 'node:readline';

/**
 * A bench helper process's side of its line protocol: each JSON line on stdin is a command, answered
 * by one JSON line on stdout (`ok` and the handler's fields, or `ok: false` and the error), in order.
 * When stdin ends, `finish` runs after the last answer and the process exits.
 */
export function serveCommands<Command>(handle: (command: Command) => Promise<unknown>, finish: () => Promise<void>): void {
  let queue: Promise<void> = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    queue = queue.then(async () => {
      try {
        process.stdout.write(`${JSON.stringify({ ok: true, ...((await handle(JSON.parse(line) as Command)) as object) })}\n`);
      } catch (error) {
        process.stdout.write(`${JSON.stringify({ ok: false, error: String(error) })}\n`);
      }
    });
  });
  process.stdin.on('end', async () => {
    await queue;
    await finish();
    process.exit(0);
  });
}
