import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.ts';
import { loadEmbedState } from './embed-state-loader.ts';
import type { WidgetCredentialClaims } from './widget-credential.ts';

/** How often the state is read again besides status changes: a KYC decision or a declined payment changes no status. */
const RECHECK_MS = 2_000;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * GET /embed/v1/session/events: the session's state as Server-Sent Events. The first `state` event
 * is sent at once, then one whenever the state changes: at once on a status change from any node
 * (the event bus), and within RECHECK_MS for what changes no status (a verification decided, a
 * payment declined). The stream ends after the state that shows the result. EventSource cannot send
 * headers, so the iframe reads this with fetch and its bearer credential.
 */
export async function followEmbedState(
  platform: Platform,
  claims: WidgetCredentialClaims,
  request: FastifyRequest,
  reply: FastifyReply,
  /** Every open stream's close, so shutting the server down ends them (an open stream would hold it up). */
  openStreams: Set<() => void>,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  let last = '';
  let open = true;
  let sending: Promise<void> = Promise.resolve();

  const close = () => {
    if (!open) return;
    open = false;
    openStreams.delete(close);
    unsubscribe();
    clearInterval(recheck);
    clearInterval(heartbeat);
    raw.end();
  };
  const sendState = () => {
    // One read at a time, in order: a burst of changes never sends an older state after a newer one.
    sending = sending.then(async () => {
      if (!open) return;
      try {
        const state = await loadEmbedState(platform, claims);
        const text = JSON.stringify(state);
        if (text !== last && open) {
          last = text;
          raw.write(`event: state\ndata: ${text}\n\n`);
        }
        if (state.next_step === 'result') close();
      } catch (error) {
        platform.logger.warn({ err: error }, 'embed state could not be read for its event stream');
      }
    });
  };

  const unsubscribe = platform.bus.subscribe((event) => {
    if (event.transactionId === claims.tid) sendState();
  });
  const recheck = setInterval(sendState, RECHECK_MS);
  const heartbeat = setInterval(() => open && raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
  recheck.unref();
  heartbeat.unref();
  request.raw.on('close', close);
  openStreams.add(close);
  sendState();
}
