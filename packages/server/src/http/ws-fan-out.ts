import WebSocket, * as wsModule from 'ws';

/**
 * Sends messages to many WebSocket connections without holding the event loop.
 *
 * - A message is encoded once for all its recipients (`PreparedMessage`): its UTF-8 bytes, and the
 *   whole unmasked text frame built once, so each socket costs one write of the same Buffer.
 * - Work that queues messages (finding a change's subscribers) can itself be deferred with `run`:
 *   such tasks run in order in the same slices, before the sending, so a batch of changes arriving
 *   together does not hold the loop while thousands of outboxes are filled either.
 * - Each connection has an outbox. Queuing a message only appends to it; the sending happens in
 *   slices of at most `sliceBudgetMs` of work, with `setImmediate` between them, so requests,
 *   database replies and timers run between slices even during a broadcast to thousands of sockets.
 * - Connections are served in the order their outbox filled, each one's whole outbox at once (in
 *   one write system call when several messages waited: a burst costs a write per socket, not per
 *   message), so a connection's messages always leave in the order they were queued.
 * - A connection that lets more than `maxBufferedBytes` pile up unread is closed with `slowCode`;
 *   it gets `slowGraceMs` to read what waits (the close frame is behind it) before it is cut off.
 */

/** A message ready to go to many connections. */
export class PreparedMessage {
  /** The message's UTF-8 bytes: what `ws.send` is given when the frame cannot be written directly. */
  readonly payload: Buffer;
  private frameBytes: Buffer | null = null;

  constructor(text: string) {
    this.payload = Buffer.from(text);
  }

  /** The complete frame (header and payload, FIN, text opcode, unmasked as a server sends it), built on first use. */
  get frame(): Buffer {
    if (this.frameBytes === null) {
      const parts = SenderClass.frame(this.payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
      this.frameBytes = Buffer.concat(parts);
    }
    return this.frameBytes;
  }
}

/** A connection the fan-out serves; the hub's subscriber record carries these fields. */
export interface Outlet {
  socket: WebSocket;
  /** Messages queued and not yet written. */
  outbox: PreparedMessage[];
  /** In the send queue. */
  queued: boolean;
  /** Close this way once the outbox is written (a transaction subscription at its terminal status); nothing more is queued. */
  closeAfter: { code: number; reason: string } | null;
}

export interface FanOutOptions {
  maxBufferedBytes: number;
  slowCode: number;
  slowGraceMs: number;
  /** The longest stretch of sending before yielding to other work. */
  sliceBudgetMs?: number;
  /** A task given to `run` threw. */
  onError(error: unknown): void;
}

const DEFAULT_SLICE_BUDGET_MS = 2;
/** How many connections are served between two looks at the clock. */
const CLOCK_EVERY = 16;

export class FanOut {
  private tasks: Array<(() => void) | undefined> = [];
  private nextTask = 0;
  private queue: Array<Outlet | undefined> = [];
  private head = 0;
  private scheduled = false;
  private readonly options: Required<FanOutOptions>;

  constructor(options: FanOutOptions) {
    this.options = { sliceBudgetMs: DEFAULT_SLICE_BUDGET_MS, ...options };
  }

  /** Runs `task` in a coming slice, after the tasks given before it (and before the sending they queue). */
  run(task: () => void): void {
    this.tasks.push(task);
    this.schedule();
  }

  /** Queues a message for one connection; it leaves after everything queued for that connection before it. */
  enqueue(outlet: Outlet, message: PreparedMessage): void {
    if (outlet.closeAfter !== null) return;
    outlet.outbox.push(message);
    this.mark(outlet);
  }

  /** Closes the connection once what is queued for it has been written; nothing queued after this is sent. */
  closeWhenSent(outlet: Outlet, code: number, reason: string): void {
    if (outlet.closeAfter !== null) return;
    outlet.closeAfter = { code, reason };
    this.mark(outlet);
  }

  /** Tasks and connections waiting (for tests and metrics). */
  get waiting(): number {
    return this.tasks.length - this.nextTask + this.queue.length - this.head;
  }

  private mark(outlet: Outlet): void {
    if (outlet.queued) return;
    outlet.queued = true;
    this.queue.push(outlet);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    const started = performance.now();
    while (this.nextTask < this.tasks.length) {
      const task = this.tasks[this.nextTask]!;
      this.tasks[this.nextTask++] = undefined;
      try {
        task();
      } catch (error) {
        // A task is the caller's code: its failure must not stop the others or the sending.
        this.options.onError(error);
      }
      if (performance.now() - started >= this.options.sliceBudgetMs) break;
    }
    if (this.nextTask >= this.tasks.length) {
      this.tasks.length = 0;
      this.nextTask = 0;
    } else {
      this.scheduled = true;
      setImmediate(this.pump);
      return;
    }
    let served = 0;
    while (this.head < this.queue.length) {
      const outlet = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      this.flush(outlet);
      if (++served % CLOCK_EVERY === 0 && performance.now() - started >= this.options.sliceBudgetMs) break;
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    if (this.head >= 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.scheduled = true;
    setImmediate(this.pump);
  };

  private flush(outlet: Outlet): void {
    outlet.queued = false;
    const messages = outlet.outbox;
    outlet.outbox = [];
    const { socket } = outlet;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (messages.length > 0) {
      const sender = directSender(socket);
      // Several messages waiting: one write system call for all of them.
      const corked = sender !== null && messages.length > 1 ? sender._socket : null;
      corked?.cork();
      try {
        for (const message of messages) {
          if (socket.bufferedAmount > this.options.maxBufferedBytes) {
            this.dropSlow(socket);
            return;
          }
          if (sender !== null) sender.sendFrame([message.frame]);
          else socket.send(message.payload, { binary: false });
        }
      } finally {
        corked?.uncork();
      }
    }
    if (outlet.closeAfter !== null) socket.close(outlet.closeAfter.code, outlet.closeAfter.reason);
  }

  private dropSlow(socket: WebSocket): void {
    socket.close(this.options.slowCode, 'too slow');
    // The close frame waits behind everything unread: a client that reads again gets it; one that
    // never does is let go after the grace period (its buffered bytes with it).
    const timer = setTimeout(() => socket.terminate(), this.options.slowGraceMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}

// ---------------------------------------------------------------------------------------------
// Writing a prepared frame straight to ws's sender. ws (8.x) exposes `Sender.frame` and the
// sender's `sendFrame`; a frame may go that way only while the sender is idle (nothing queued
// behind compression or a Blob) and no extension (permessage-deflate) is negotiated. Anything else,
// or another ws, falls back to `socket.send`, which gives the same bytes on the wire.

interface SenderInternals {
  _state: unknown;
  _queue: unknown[];
  _firstFragment: unknown;
  _socket: import('node:net').Socket;
  sendFrame(list: Buffer[], cb?: (error?: Error) => void): void;
}

interface SenderStatic {
  frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[];
  prototype: { sendFrame?: unknown };
}

// ws's ES module exports Sender by name (its CommonJS export hangs it on the WebSocket class); its types do not declare it.
const SenderClass = ((wsModule as unknown as { Sender?: SenderStatic }).Sender ??
  (WebSocket as unknown as { Sender?: SenderStatic }).Sender) as SenderStatic;
const DIRECT_FRAMES_SUPPORTED = typeof SenderClass?.frame === 'function' && typeof SenderClass.prototype.sendFrame === 'function';

function directSender(socket: WebSocket): SenderInternals | null {
  if (!DIRECT_FRAMES_SUPPORTED) return null;
  const internals = socket as unknown as { _sender?: SenderInternals | null; _extensions?: Record<string, unknown> };
  const sender = internals._sender;
  if (sender?._state !== 0 || sender._queue.length !== 0 || sender._firstFragment !== true) return null;
  if (internals._extensions && Object.keys(internals._extensions).length > 0) return null;
  return sender;
}

/** For tests: whether frames are written directly on this socket (otherwise through `socket.send`). */
export function writesFramesDirectly(socket: WebSocket): boolean {
  return directSender(socket) !== null;
}
