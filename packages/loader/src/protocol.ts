/**
 * The messages between the partner's page (the loader, widget.2.0.js) and the widget's iframe.
 *
 *   iframe → page   {channel, type: 'hello'}                    the frame's script runs: send the parameters
 *   page → iframe   {channel, type: 'init', params}             the parameters (FrameParams), answered to every hello
 *   iframe → page   {channel, type: 'event', name, data?}       a partner callback to call (CALLBACKS), with its payload
 *
 * Both sides post with the other's exact origin as targetOrigin, and accept a message only from the
 * other's exact origin and window (event.origin and event.source) carrying this channel. The page
 * learns the frame's origin from the loader's own src; the frame learns the page's from the
 * `parent_origin` query parameter of its URL, checked against location.ancestorOrigins where the
 * browser has it. The init token and signature travel only in `init`, never in a URL. Nothing
 * secret travels from the frame to the page: callback payloads are the ones the spec lists.
 */

/** Marks this protocol's messages (and its version): each side ignores every other message it receives. */
export const CHANNEL = 'proof-widget/1';

/** The partner callbacks the frame may ask the loader to call, by their names in proofWidget.run(). */
export const CALLBACKS = [
  'onLoad',
  'onReady',
  'onStatusChange',
  'onPaymentFinished',
  'onSellTransferEnabled',
  'onError',
  'onClose',
] as const;
export type CallbackName = (typeof CALLBACKS)[number];

/**
 * What the frame needs to open the session and draw it, in the session response's own (snake_case)
 * names. The optional fields are present only when the partner's call gave them; the frame takes the
 * rest from the session as created.
 */
export interface FrameParams {
  widget_id: string;
  init_token: string;
  init_token_type: string;
  signature: string;
  merchant_transaction_id: string;
  address: string;
  currency: string;
  currencies?: string[];
  network: string;
  networks?: string[];
  /** Empty when the user picks the amount in the widget. */
  amount: string;
  fiat_currency?: string;
  fiat_currencies?: string[];
  fiat_amount?: string;
  type: 'buy' | 'sell';
  lang?: string;
  theme?: string;
  redirect_url?: string;
  fix_currency?: boolean;
  fix_network?: boolean;
  fix_amount?: boolean;
  fix_fiat_currency?: boolean;
  fix_fiat_amount?: boolean;
}

/** onStatusChange: the spec's payload (the loader adds `merchantTransactionId` beside `merchant_transaction_id`). */
export interface StatusChange {
  amount: string;
  currency: string;
  network: string;
  fiat_amount: string;
  fiat_currency: string;
  merchant_transaction_id: string;
  /** Widget-level: new, pending, paid, order_failed, completed, cancelled; sell also deposit_waiting, deposit_received. */
  status: string;
  payment_method: string | null;
}

/** onError: why the widget cannot go on (a code from the embed API's errors, or the loader's own). */
export interface WidgetError {
  code: string;
  message: string;
}

export type FrameMessage =
  | { channel: typeof CHANNEL; type: 'hello' }
  | { channel: typeof CHANNEL; type: 'event'; name: CallbackName; data?: unknown };

export type PageMessage = { channel: typeof CHANNEL; type: 'init'; params: FrameParams };

/** Where the iframe page is served, on the platform's origin (the loader's own); `widget_id` picks its frame-ancestors. */
export const FRAME_PATH = '/embed/v1/frame';
