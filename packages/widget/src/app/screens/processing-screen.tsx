import { defineText, useText } from '../i18n.ts';
import { Facts, Screen, useEmbedState, Waiting } from '../ui.tsx';

const text = defineText({
  en: {
    title: 'Your order is on its way',
    buyWaiting: 'Payment received. We are sending your {currency} now.',
    sellWaiting: 'Your {currency} has arrived. We are paying you now.',
    youGet: 'You get',
    to: 'To',
    deposit: 'Deposit',
    confirmations: '{n} of {required} confirmations',
    payout: 'Payout',
    payoutQueued: 'Waiting to be sent',
    payoutPending: 'Sent to your card',
    payoutPaid: 'Paid',
    note: 'You can close this window: the order goes on, and the site is told when it completes.',
  },
  fr: {
    title: 'Votre commande est en cours',
    buyWaiting: 'Paiement reçu. Nous envoyons vos {currency}.',
    sellWaiting: 'Vos {currency} sont arrivés. Nous vous payons.',
    youGet: 'Vous recevez',
    to: 'Vers',
    deposit: 'Dépôt',
    confirmations: '{n} confirmations sur {required}',
    payout: 'Versement',
    payoutQueued: "En attente d'envoi",
    payoutPending: 'Envoyé sur votre carte',
    payoutPaid: 'Payé',
    note: 'Vous pouvez fermer cette fenêtre : la commande continue, et le site sera prévenu à la fin.',
  },
  es: {
    title: 'Su pedido está en marcha',
    buyWaiting: 'Pago recibido. Estamos enviando sus {currency}.',
    sellWaiting: 'Sus {currency} han llegado. Le estamos pagando.',
    youGet: 'Usted recibe',
    to: 'A',
    deposit: 'Depósito',
    confirmations: '{n} de {required} confirmaciones',
    payout: 'Pago',
    payoutQueued: 'Pendiente de envío',
    payoutPending: 'Enviado a su tarjeta',
    payoutPaid: 'Pagado',
    note: 'Puede cerrar esta ventana: el pedido sigue adelante y el sitio recibirá aviso al terminar.',
  },
});

/** Paid (buy) or deposited (sell): the platform finishes the order; the live state shows how far it got. */
export function ProcessingScreen() {
  const state = useEmbedState();
  const t = useText(text);
  const { transaction, quote, sell } = state;
  const rows: [string, string][] = [];
  if (transaction.type === 'buy') {
    if (quote) rows.push([t('youGet'), `${quote.crypto_amount} ${transaction.currency}`]);
    rows.push([t('to'), transaction.address]);
  } else if (sell) {
    rows.push([
      t('deposit'),
      t('confirmations', {
        n: Math.min(sell.deposit.confirmations, sell.deposit.required_confirmations),
        required: sell.deposit.required_confirmations,
      }),
    ]);
    const payout = sell.payout.status;
    if (payout && payout !== 'awaiting_card') {
      const label = payout === 'paid' ? t('payoutPaid') : payout === 'pending' ? t('payoutPending') : t('payoutQueued');
      rows.push([t('payout'), sell.payout.amount ? `${sell.payout.amount} ${sell.payout.fiat_currency} · ${label}` : label]);
    }
  }
  return (
    <Screen title={t('title')} step="processing">
      <Waiting label={t(transaction.type === 'buy' ? 'buyWaiting' : 'sellWaiting', { currency: transaction.currency })} />
      <Facts rows={rows} />
      <p class="muted">{t('note')}</p>
    </Screen>
  );
}
