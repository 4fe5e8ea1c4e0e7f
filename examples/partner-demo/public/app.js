// The Demo Shop's page: asks its own server for a session, embeds the widget with it, and logs the
// widget's callbacks and the webhooks the server relays. No inline script: the page runs under a
// strict Content-Security-Policy, as a partner's checkout should.

const form = document.getElementById('order');
const host = document.getElementById('proof-widget');
const log = document.getElementById('log');
const notice = document.getElementById('notice');
const amount = document.getElementById('amount');
const asset = document.getElementById('asset');
const unit = document.getElementById('amount-unit');

const DEFAULT_AMOUNTS = { USDT: '100', BTC: '0.001' };
let widget = null;

function append(text) {
  const item = document.createElement('li');
  const time = new Date().toLocaleTimeString();
  item.textContent = `${time} ${text}`;
  log.append(item);
}

function say(text) {
  notice.textContent = text;
}

asset.addEventListener('change', () => {
  const currency = asset.value.split(':')[0];
  unit.textContent = currency;
  amount.value = DEFAULT_AMOUNTS[currency] ?? amount.value;
});

form.addEventListener('submit', async (event) => {
  // "Open the hosted page" posts the form to the server, which redirects the new tab to the widget.
  if (event.submitter?.id !== 'start') return;
  event.preventDefault();
  if (typeof window.proofWidget === 'undefined') {
    say('The widget script did not load from the platform: is Proof Ramp running?');
    return;
  }
  const order = Object.fromEntries(new FormData(form));
  say('Creating a session…');
  let answer;
  try {
    const response = await fetch('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
    answer = await response.json();
    if (!response.ok) {
      say(`The session was refused: ${answer?.message ?? response.status}`);
      return;
    }
  } catch {
    say('The shop’s server did not answer.');
    return;
  }
  const { session } = answer;
  say('');
  append(`session: ${session.type} ${session.amount} ${session.currency} on ${session.network} (${session.merchant_transaction_id})`);
  widget?.close();
  // The quickstart's subset of the session, camelCase, plus the callbacks.
  widget = window.proofWidget.run({
    host,
    widgetId: session.widget_id,
    address: session.address,
    signature: session.signature,
    initToken: session.init_token,
    initTokenType: session.init_token_type,
    merchantTransactionId: session.merchant_transaction_id,
    currency: session.currency,
    network: session.network,
    amount: session.amount,
    fixCurrency: session.fix_currency,
    fixNetwork: session.fix_network,
    fixAmount: session.fix_amount,
    fiatCurrency: session.fiat_currency,
    fiatAmount: session.fiat_amount,
    type: session.type,
    onReady() {
      append('widget: onReady');
    },
    onStatusChange(data) {
      append(`widget: onStatusChange ${data.status}${data.payment_method ? ` (${data.payment_method})` : ''}`);
    },
    onPaymentFinished(data) {
      append(`widget: onPaymentFinished${data?.payment_method ? ` (${data.payment_method})` : ''}`);
    },
    onSellTransferEnabled(data) {
      append(`widget: onSellTransferEnabled: send ${data.amount} ${data.currency} on ${data.network} to ${data.address}`);
      offerSandboxDeposit(data);
    },
    onError({ code, message }) {
      append(`widget: onError ${code}: ${message}`);
    },
    onClose() {
      append('widget: onClose');
    },
  });
});

// The webhooks the shop's server verified, relayed live (Server-Sent Events).
const events = new EventSource('/api/events');
events.addEventListener('webhook', (event) => {
  const { payload } = JSON.parse(event.data);
  if (payload.status) append(`webhook: ${payload.status} (${payload.merchant_transaction_id})`);
  else append(`webhook: ${payload.type ?? 'event'}`);
});

const returned = new URLSearchParams(location.search).get('returned');
if (returned) append(`back from the hosted page (${returned})`);

/**
 * In the sandbox nobody holds a wallet on the sandbox chain: this button sends the deposit the widget
 * asks for, as the user's wallet would (the shop's server makes the platform's operator calls).
 */
function offerSandboxDeposit(deposit) {
  document.getElementById('sandbox-deposit')?.remove();
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'sandbox-deposit';
  button.textContent = `Send ${deposit.amount} ${deposit.currency} from a sandbox wallet`;
  button.addEventListener('click', async () => {
    button.disabled = true;
    const answer = await fetch('/api/sandbox-deposit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(deposit),
    }).catch(() => null);
    if (answer?.ok) {
      append(`sandbox: sent ${deposit.amount} ${deposit.currency} to ${deposit.address}`);
      button.remove();
    } else {
      button.disabled = false;
      say(answer?.status === 404 ? 'This shop cannot send sandbox deposits.' : 'The sandbox deposit failed; try again.');
    }
  });
  document.getElementById('log-heading').after(button);
}
