import { defineText, useText } from '../i18n.ts';
import { Button, Facts, Screen, useEmbedState, useSession } from '../ui.tsx';

const text = defineText({
  en: {
    completed: 'Done',
    failed: 'This order did not go through',
    cancelled: 'This order was cancelled',
    bought: 'You bought {amount} {currency}.',
    sold: 'You sold {amount} {currency}.',
    sentTo: 'Sent to',
    paidTo: 'Paid to',
    card: 'card ending {last4}',
    payment_declined: 'The payment was declined, and no attempts are left.',
    kyc_rejected: 'Your identity could not be verified.',
    session_expired: 'The order expired before it was paid.',
    delivery_failed: 'The crypto could not be delivered. Your payment is refunded.',
    deposit_expired: 'No deposit arrived before the deadline.',
    deposit_underpaid: 'The deposit was smaller than the amount to send.',
    payout_failed: 'The payout to your card failed. Contact the site for help.',
    rejected: 'The order was refused.',
    otherReason: 'The order could not be completed.',
    back: 'Back to the site',
    close: 'Close',
  },
  fr: {
    completed: 'Terminé',
    failed: "Cette commande n'a pas abouti",
    cancelled: 'Cette commande a été annulée',
    bought: 'Vous avez acheté {amount} {currency}.',
    sold: 'Vous avez vendu {amount} {currency}.',
    sentTo: 'Envoyé à',
    paidTo: 'Payé sur',
    card: 'la carte se terminant par {last4}',
    payment_declined: 'Le paiement a été refusé et il ne reste plus de tentative.',
    kyc_rejected: "Votre identité n'a pas pu être vérifiée.",
    session_expired: 'La commande a expiré avant le paiement.',
    delivery_failed: "Les cryptos n'ont pas pu être livrées. Votre paiement est remboursé.",
    deposit_expired: "Aucun dépôt n'est arrivé avant la date limite.",
    deposit_underpaid: 'Le dépôt était inférieur au montant à envoyer.',
    payout_failed: "Le versement sur votre carte a échoué. Contactez le site pour de l'aide.",
    rejected: 'La commande a été refusée.',
    otherReason: "La commande n'a pas pu être terminée.",
    back: 'Retour au site',
    close: 'Fermer',
  },
  es: {
    completed: 'Listo',
    failed: 'Este pedido no se completó',
    cancelled: 'Este pedido se canceló',
    bought: 'Ha comprado {amount} {currency}.',
    sold: 'Ha vendido {amount} {currency}.',
    sentTo: 'Enviado a',
    paidTo: 'Pagado en',
    card: 'la tarjeta que termina en {last4}',
    payment_declined: 'El pago fue rechazado y no quedan intentos.',
    kyc_rejected: 'No se pudo verificar su identidad.',
    session_expired: 'El pedido caducó antes de pagarse.',
    delivery_failed: 'No se pudieron entregar las criptomonedas. Se le reembolsa el pago.',
    deposit_expired: 'No llegó ningún depósito antes del plazo.',
    deposit_underpaid: 'El depósito fue menor que el importe a enviar.',
    payout_failed: 'Falló el pago a su tarjeta. Contacte con el sitio para obtener ayuda.',
    rejected: 'El pedido fue rechazado.',
    otherReason: 'No se pudo completar el pedido.',
    back: 'Volver al sitio',
    close: 'Cerrar',
  },
});

const REASONS = [
  'payment_declined',
  'kyc_rejected',
  'session_expired',
  'delivery_failed',
  'deposit_expired',
  'deposit_underpaid',
  'payout_failed',
  'rejected',
] as const;

/** The end: what happened, and the way back to the partner (`redirect_url` when the partner gave one). */
export function ResultScreen() {
  const state = useEmbedState();
  const session = useSession();
  const t = useText(text);
  const { transaction, quote, sell, terms } = state;
  const outcome = transaction.status === 'completed' ? 'completed' : transaction.status === 'failed' ? 'failed' : 'cancelled';
  const redirect = session.params?.redirect_url || terms.redirect_url || null;
  const reason = transaction.failure_reason;
  let summary: string | null = null;
  const rows: [string, string][] = [];
  if (outcome === 'completed' && transaction.type === 'buy') {
    summary = t('bought', { amount: quote?.crypto_amount ?? '', currency: transaction.currency });
    rows.push([t('sentTo'), transaction.address]);
  } else if (outcome === 'completed') {
    summary = t('sold', { amount: sell?.deposit.received_amount ?? quote?.crypto_amount ?? '', currency: transaction.currency });
    const card = sell?.payout.card;
    if (card)
      rows.push([t('paidTo'), `${sell?.payout.amount ?? ''} ${sell?.payout.fiat_currency ?? ''} · ${t('card', { last4: card.last4 })}`]);
  } else if (outcome === 'failed') {
    summary = (REASONS as readonly string[]).includes(reason ?? '') ? t(reason as (typeof REASONS)[number]) : t('otherReason');
  }
  return (
    <Screen title={t(outcome)} step="result">
      <div class={`outcome ${outcome}`} data-outcome={outcome}>
        {summary ? <p>{summary}</p> : null}
        <Facts rows={rows} />
      </div>
      <div class="actions">
        {redirect && /^https?:\/\//.test(redirect) ? (
          <a class="button primary" href={redirect} target="_top" rel="noopener">
            {t('back')}
          </a>
        ) : null}
        {session.source.mode === 'embedded' ? (
          <Button kind={redirect ? 'secondary' : 'primary'} onClick={() => session.close()}>
            {t('close')}
          </Button>
        ) : null}
      </div>
    </Screen>
  );
}
