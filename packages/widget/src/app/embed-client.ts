import type { EmbedState } from './embed-state.ts';

/** An embed API error, or the widget's own (network_error). `fields` are the ones its details name. */
export class EmbedError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fields: string[];
  /** The API's `details` ({field, issue}), when it gave some. */
  readonly details: { field: string; issue: string }[];
  constructor(code: string, message: string, status = 0, details: { field: string; issue: string }[] = []) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
    this.fields = details.map((detail) => detail.field);
  }
}

interface RequestOptions {
  method?: string;
  /** JSON-encoded unless it is a Blob (uploads send the raw file). */
  body?: unknown;
  /** Only the opening sends cookies: its partitioned cookie lets this browser reopen the session. */
  withCookie?: boolean;
}

/**
 * The embed API (/embed/v1) on the platform's origin (the page's own). The credential goes in the
 * Authorization header only: never a URL, never storage the partner's page can read.
 */
export class EmbedClient {
  credential: string | null = null;

  async request<T = EmbedState>(path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: BodyInit | undefined;
    if (options.body instanceof Blob) {
      body = options.body;
      headers['content-type'] = options.body.type || 'application/octet-stream';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    if (this.credential) headers.authorization = `Bearer ${this.credential}`;
    let response: Response;
    try {
      response = await fetch(`/embed/v1${path}`, {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        body,
        credentials: options.withCookie ? 'same-origin' : 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new EmbedError('network_error', 'The platform could not be reached (network error).');
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const details = Array.isArray(answer?.details) ? answer.details : [];
      throw new EmbedError(
        answer?.code ?? `http_${response.status}`,
        answer?.message ?? `HTTP ${response.status}`,
        response.status,
        details,
      );
    }
    return answer as T;
  }

  /**
   * Follows the state live (GET /session/events, Server-Sent Events read with fetch: EventSource
   * cannot send the credential). Reconnects after a dropped stream, backing off up to 10 s; stops on
   * `signal` or once a state says the flow is over.
   */
  async follow(onState: (state: EmbedState) => void, signal: AbortSignal): Promise<void> {
    let delay = 500;
    while (!signal.aborted) {
      let finished = false;
      try {
        const response = await fetch('/embed/v1/session/events', {
          headers: { accept: 'text/event-stream', authorization: `Bearer ${this.credential}` },
          credentials: 'omit',
          cache: 'no-store',
          signal,
        });
        if (response.status === 401 || response.status === 404) return;
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        delay = 500;
        for await (const state of readEvents(response.body)) {
          onState(state);
          if (state.next_step === 'result') finished = true;
        }
      } catch {
        if (signal.aborted) return;
      }
      if (finished) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/** The `state` events of a text/event-stream body, parsed. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<EmbedState> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let end = buffered.search(/\r?\n\r?\n/);
    while (end !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(buffered.slice(end).startsWith('\r\n') ? end + 4 : end + 2);
      const lines = block.split(/\r?\n/);
      const event =
        lines
          .find((line) => line.startsWith('event:'))
          ?.slice(6)
          .trim() ?? 'message';
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (event === 'state' && data) yield JSON.parse(data) as EmbedState;
      end = buffered.search(/\r?\n\r?\n/);
    }
  }
}
