import { type CallbackName, CHANNEL, type FrameMessage, type FrameParams, type PageMessage } from '@proof-ramp/loader/protocol';

/**
 * Where the widget gets its parameters and tells its callbacks:
 * - embedded (/embed/v1/frame): from the partner's page through the loader (hello → init), and its
 *   callbacks go back by postMessage to that page's exact origin only;
 * - hosted (/embed/v1/hosted): a full page (Android Custom Tabs, redirects) with the session in the
 *   URL's fragment, which no server, log or referrer sees and which the page removes at once; there
 *   is no page to tell, so callbacks go nowhere and `redirect_url` ends the flow.
 */
export interface ParamsSource {
  mode: 'embedded' | 'hosted';
  /** Resolves once with the raw parameters (checked by the caller). */
  params: Promise<unknown>;
  emit(name: CallbackName, data?: unknown): void;
}

export const HOSTED_PATH = '/embed/v1/hosted';

export function hostedSource(): ParamsSource {
  const widgetId = new URLSearchParams(location.search).get('widget_id') ?? '';
  const keptKey = `proof-hosted:${widgetId}`;
  const fields = new URLSearchParams(location.hash.slice(1));
  // Out of the address bar and the history at once: the fragment holds the init token.
  history.replaceState(null, '', location.pathname + location.search);
  let params: Record<string, unknown> = {};
  for (const [name, value] of fields) {
    if (['currencies', 'networks', 'fiat_currencies'].includes(name)) params[name] = value.split(',').filter(Boolean);
    else if (name.startsWith('fix_')) params[name] = value === 'true';
    else params[name] = value;
  }
  try {
    // A reload has no fragment any more: the tab's own storage (first-party here) keeps the session's
    // parameters so the page resumes, with the credential kept beside them, where the user was.
    if (fields.size > 0) sessionStorage.setItem(keptKey, JSON.stringify(params));
    else params = JSON.parse(sessionStorage.getItem(keptKey) ?? '{}');
  } catch {
    // storage blocked: a reload then needs the link again
  }
  params.widget_id ??= widgetId;
  params.amount ??= '';
  return { mode: 'hosted', params: Promise.resolve(params), emit: () => {} };
}

/** null when the frame is not in the page it claims (then it must not run at all). */
export function embeddedSource(): ParamsSource | null {
  const parentOrigin = new URLSearchParams(location.search).get('parent_origin') ?? '';
  if (!trustedParent(parentOrigin)) return null;
  const post = (message: FrameMessage) => window.parent.postMessage(message, parentOrigin);
  const params = new Promise<unknown>((resolve) => {
    const listen = (event: MessageEvent) => {
      const message = event.data as PageMessage | null;
      if (event.origin !== parentOrigin || event.source !== window.parent || message?.channel !== CHANNEL || message.type !== 'init')
        return;
      // One opening per document: a reload is a new document, and it resumes with the kept credential.
      window.removeEventListener('message', listen);
      resolve(message.params);
    };
    window.addEventListener('message', listen);
  });
  post({ channel: CHANNEL, type: 'hello' });
  return {
    mode: 'embedded',
    params,
    emit: (name, data) => post({ channel: CHANNEL, type: 'event', name, ...(data === undefined ? {} : { data }) }),
  };
}

/** Framed by the page it claims (where the browser can tell), and that claim is an origin. */
function trustedParent(parentOrigin: string): boolean {
  if (window.parent === window) return false;
  try {
    if (new URL(parentOrigin).origin !== parentOrigin) return false;
  } catch {
    return false;
  }
  const ancestors = location.ancestorOrigins;
  return ancestors === undefined || ancestors.length === 0 || ancestors[0] === parentOrigin;
}

export type { FrameParams };
