import { type ChildProcess, fork } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { answerOnSocket } from './error-handler.ts';

/**
 * The WebSocket process: a child of the node that serves every /ws subscriber, so that a broadcast
 * to thousands of sockets (the frame writes, one system call per socket) runs on an event loop of
 * its own and never delays the API's requests. The node reads each upgrade request as usual, then
 * hands the connection (its file descriptor, over the IPC channel) to the child with the request's
 * bytes; the child's HTTP server reads them again as if they had just arrived, and from there the
 * upgrade, the authentication and the subscription are exactly the inline ones (http/websocket-api.ts).
 * The child is a node of its own on the same database: it hears status changes on the same
 * LISTEN/NOTIFY channel every node does, so nothing is relayed per message.
 *
 * The child lives and dies with the node: it exits when the IPC channel closes (the node exited,
 * however), and the node starts it again, backing off, if it dies alone; its subscribers reconnect
 * (their clients see the connection drop) and get the current state first, as after any restart.
 */

/** What the node tells the child. */
export type ToWebSocketProcess =
  | {
      type: 'init';
      signingSecret: string;
      encryptionKey: string;
      adminToken: string | undefined;
      poolSize: number;
      clockOffsetMs: number | null;
    }
  /** Sent with the connection's handle: the request line, the headers and any bytes read after them (base64). */
  | { type: 'socket'; request: string }
  | { type: 'clock'; offsetMs: number }
  | { type: 'stop' };

/** What the child tells the node. */
export type FromWebSocketProcess =
  | { type: 'ready' }
  /** Authenticated subscriptions open, for the node's /metrics. */
  | { type: 'connections'; count: number }
  | { type: 'failed'; message: string };

export interface WebSocketProcessOptions {
  logger: Logger;
  init: Omit<Extract<ToWebSocketProcess, { type: 'init' }>, 'type' | 'clockOffsetMs'>;
  /** The sandbox's movable clock, which the child follows; null when time is the system's. */
  clock: { offset: number; onAdvance(listener: (offsetMs: number) => void): () => void } | null;
  onConnections(count: number): void;
  /** The child's entry point (tests may give another). */
  entry?: URL;
}

/** The child's scheduling priority (Unix nice; higher yields more): the API comes first when the CPUs are busy (ws-node.ts). */
export const WEBSOCKET_PROCESS_NICENESS = 10;

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

export class WebSocketProcess {
  private child: ChildProcess | null = null;
  private ready = false;
  private stopping = false;
  private restartDelayMs = 1_000;
  private restartTimer: NodeJS.Timeout | null = null;
  /**
   * Connections given to the child whose hand-over has not completed. Node queues a connection behind
   * one the child has not acknowledged yet; if the child dies meanwhile, a queued one would wait for
   * ever, so they are closed when it exits (their clients reconnect).
   */
  private readonly handingOver = new Set<Duplex>();
  private readonly stopFollowingClock: () => void;
  private readonly options: WebSocketProcessOptions;

  constructor(options: WebSocketProcessOptions) {
    this.options = options;
    this.stopFollowingClock = options.clock?.onAdvance((offsetMs) => this.post({ type: 'clock', offsetMs })) ?? (() => {});
  }

  /** Starts the child; resolves once it can take connections, rejects with its reason if it cannot. */
  async start(): Promise<void> {
    const child = fork(this.options.entry ?? new URL('../ws-node.ts', import.meta.url));
    this.child = child;
    this.ready = false;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the WebSocket process did not start within ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        );
        const settle = (error?: Error) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve();
        };
        const onMessage = (message: FromWebSocketProcess) => {
          if (message.type === 'ready') settle();
          else if (message.type === 'failed') settle(new Error(`the WebSocket process could not start: ${message.message}`));
        };
        const onExit = (code: number | null, signal: string | null) =>
          settle(new Error(`the WebSocket process exited (${code ?? signal}) before it was ready`));
        child.on('message', onMessage);
        child.on('exit', onExit);
        child.send({ type: 'init', ...this.options.init, clockOffsetMs: this.options.clock?.offset ?? null } satisfies ToWebSocketProcess);
      });
    } catch (error) {
      child.kill('SIGKILL');
      this.child = null;
      throw error;
    }
    this.ready = true;
    this.restartDelayMs = 1_000;
    child.on('message', (message: FromWebSocketProcess) => {
      if (message.type === 'connections') this.options.onConnections(message.count);
    });
    child.once('exit', (code, signal) => this.exited(child, code, signal));
  }

  /** Hands an upgrade request's connection to the child; answers 503 while there is none to take it. */
  forward(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const child = this.child;
    if (!this.ready || child === null || !child.connected) {
      answerOnSocket(socket, 'service_unavailable', 'WebSockets are restarting on this node: connect again in a moment.', {
        'Retry-After': '1',
      });
      return;
    }
    const message: ToWebSocketProcess = { type: 'socket', request: requestBytes(request, head).toString('base64') };
    this.handingOver.add(socket);
    child.send(message, socket as Socket, (error) => {
      this.handingOver.delete(socket);
      // The child went away with the connection in flight: the client reconnects.
      if (error) socket.destroy();
    });
  }

  /** Stops the child (its subscribers' connections close with it) and does not start it again. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopFollowingClock();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.post({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private post(message: ToWebSocketProcess): void {
    if (this.child?.connected) this.child.send(message);
  }

  private exited(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.child !== child) return;
    this.child = null;
    this.ready = false;
    for (const socket of this.handingOver) socket.destroy();
    this.handingOver.clear();
    this.options.onConnections(0);
    if (this.stopping) return;
    this.options.logger.error({ code, signal, restart_in_ms: this.restartDelayMs }, 'the WebSocket process exited; starting it again');
    this.restartLater();
  }

  private restartLater(): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.start().catch((error: unknown) => {
        this.restartDelayMs = Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS);
        this.options.logger.error({ err: error, restart_in_ms: this.restartDelayMs }, 'the WebSocket process could not be started again');
        if (!this.stopping) this.restartLater();
      });
    }, this.restartDelayMs);
    this.restartTimer.unref();
  }
}

/** The upgrade request as it came over the wire (its raw header lines, in order), then what followed it. */
function requestBytes(request: IncomingMessage, head: Buffer): Buffer {
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    lines.push(`${request.rawHeaders[index]}: ${request.rawHeaders[index + 1]}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]);
}
