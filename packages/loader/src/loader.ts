import { normalizeParams } from './params.ts';
import { CALLBACKS, CHANNEL, FRAME_PATH, type FrameMessage, type PageMessage, type WidgetError } from './protocol.ts';

/**
 * widget.2.0.js: the global `proofWidget`. `proofWidget.run(params)` checks its arguments, builds the
 * widget's iframe inside `params.host`, hands the parameters to it by postMessage once the frame says
 * hello (never in its URL), relays the frame's callback messages to the partner's callbacks, and
 * returns a handle with close(). The frame lives on the origin this script was loaded from.
 * Budget: 2,000 bytes gzip (checked by build.test.ts); no dependencies.
 */

export interface WidgetHandle {
  close(): void;
}

// Read while this script runs: document.currentScript is null afterwards.
const FRAME_ORIGIN = new URL((document.currentScript as HTMLScriptElement | null)?.src || location.href).origin;

function run(input: unknown): WidgetHandle {
  const { params, callbacks, host, loadTimeout, problems } = normalizeParams(input, (id) => document.getElementById(id));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let frame: HTMLIFrameElement | undefined;

  const fail = (error: WidgetError) => {
    console.error(`proofWidget: ${error.message} (${error.code})`);
    callbacks.onError?.(error);
  };
  const onMessage = (event: MessageEvent) => {
    const message = event.data as FrameMessage | null;
    if (event.origin !== FRAME_ORIGIN || !frame || event.source !== frame.contentWindow || message?.channel !== CHANNEL) return;
    if (message.type === 'hello') {
      // Answered to every hello: a reloaded frame asks again (it keeps its credential and does not reopen).
      frame.contentWindow!.postMessage({ channel: CHANNEL, type: 'init', params } satisfies PageMessage, FRAME_ORIGIN);
    } else if (message.type === 'event' && CALLBACKS.includes(message.name)) {
      let data = message.data as Record<string, unknown> | undefined;
      if (message.name === 'onReady' || message.name === 'onError') clearTimeout(timer);
      if (message.name === 'onError') console.error(`proofWidget: ${(data as unknown as WidgetError).message}`);
      if (message.name === 'onStatusChange') data = { ...data, merchantTransactionId: data?.merchant_transaction_id };
      callbacks[message.name]?.(data);
    }
  };
  const close = () => {
    clearTimeout(timer);
    removeEventListener('message', onMessage);
    frame?.remove();
  };

  if (problems.length) {
    fail({ code: problems[0]!.code, message: `run(): ${problems.map((problem) => problem.message).join('; ')}` });
    // Never a silent blank box: the user reads that the widget could not start.
    if (host) {
      const note = document.createElement('p');
      note.setAttribute('role', 'alert');
      note.textContent = 'The payment widget could not be loaded.';
      host.replaceChildren(note);
    }
    return { close };
  }

  frame = document.createElement('iframe');
  frame.src = `${FRAME_ORIGIN}${FRAME_PATH}?${new URLSearchParams({ widget_id: params.widget_id, parent_origin: location.origin })}`;
  frame.title = 'Proof Ramp: buy and sell crypto';
  frame.allow = 'camera; payment';
  frame.style.cssText = 'display:block;border:0;width:100%;height:100%;min-height:600px';
  addEventListener('message', onMessage);
  timer = setTimeout(
    () =>
      fail({
        code: 'load_timeout',
        message: `no answer from the widget in ${loadTimeout} ms: is ${location.origin} a registered origin of widget ${params.widget_id}?`,
      }),
    loadTimeout,
  );
  host!.replaceChildren(frame);
  return { close };
}

(window as unknown as { proofWidget: unknown }).proofWidget = { run, version: '2.0' };
