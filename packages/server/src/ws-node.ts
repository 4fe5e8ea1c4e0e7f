import type { Socket } from 'node:net';
import { buildApp } from './app.ts';
import { startPlatform } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { type FromWebSocketProcess, type ToWebSocketProcess, WEBSOCKET_PROCESS_NICENESS } from './http/ws-process.ts';
import { type Clock, OffsetClock, systemClock } from './lib/clock.ts';
import { lowerProcessPriority } from './lib/priority.ts';

/**
 * The WebSocket process (http/ws-process.ts explains why it exists): started by `proof serve` with
 * an IPC channel, never by hand. It builds the same app as the node, which never listens: each
 * connection arrives from the node with the bytes of its upgrade request, and the app's HTTP server
 * reads them as if they had just come in.
 */

if (!process.send) {
  console.error('ws-node is started by `proof serve` (WS_PROCESS=separate), not on its own.');
  process.exit(2);
}

const tell = (message: FromWebSocketProcess) => process.send?.(message);

// The node decides when this process ends (a stop message, or its channel closing when the node is
// gone, however it went); a terminal's Ctrl-C reaches the whole process group and is the node's to handle.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));

process.once('message', (message: ToWebSocketProcess) => {
  if (message.type !== 'init') return;
  run(message).catch((error: unknown) => {
    tell({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
});

async function run(init: Extract<ToWebSocketProcess, { type: 'init' }>): Promise<void> {
  // When the CPUs are all busy, the API's requests (payments, sessions) go first and broadcasts take
  // what is left: a burst of updates then reaches its subscribers later, but never slows a request.
  // With a CPU to spare the priority changes nothing; where it is not allowed, the process stays at
  // the node's priority.
  lowerProcessPriority(WEBSOCKET_PROCESS_NICENESS);
  const config = { ...loadConfig(), adminToken: init.adminToken, databasePoolSize: init.poolSize };
  const offsetClock = init.clockOffsetMs === null ? null : new OffsetClock(init.clockOffsetMs);
  const clock: Clock = offsetClock ?? systemClock;
  const platform = await startPlatform(config, {
    clock,
    secrets: { signingSecret: init.signingSecret, encryptionKey: Buffer.from(init.encryptionKey, 'base64') },
  });
  const app = await buildApp(platform);
  await app.ready();

  let reported = 0;
  const report = setInterval(async () => {
    const count = (await platform.metrics.websocketConnections.get()).values[0]?.value ?? 0;
    if (count !== reported) tell({ type: 'connections', count: (reported = count) });
  }, 250);
  report.unref();

  process.on('message', async (message: ToWebSocketProcess, handle?: Socket) => {
    if (message.type === 'socket' && handle) {
      app.server.emit('connection', handle);
      handle.emit('data', Buffer.from(message.request, 'base64'));
      handle.resume();
    } else if (message.type === 'clock' && offsetClock) {
      offsetClock.advance(message.offsetMs - offsetClock.offset);
    } else if (message.type === 'stop') {
      clearInterval(report);
      await app.close();
      await platform.close();
      process.exit(0);
    }
  });
  tell({ type: 'ready' });
}
