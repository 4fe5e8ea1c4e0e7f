import { defineText, useText } from '../../i18n.ts';
import { Button, ErrorNote, Facts, Screen, useAction, useEmbedState, useSession } from '../../ui.tsx';
import { CardFields, cardEnding, cardText, declineText, useCardForm } from '../payment/card-fields.tsx';

const text = defineText({
  en: {
    title: 'Where should we pay you?',
    explain: 'The money from this sale is paid to your card.',
    youReceive: 'You receive',
    current: 'Paid to: {card}',
    replace: 'To use another card, enter it below.',
    submit: 'Pay me on this card',
    replaceSubmit: 'Use this card instead',
  },
  fr: {
    title: 'Où devons-nous vous payer ?',
    explain: 'Le produit de cette vente est versé sur votre carte.',
    youReceive: 'Vous recevez',
    current: 'Versement sur : {card}',
    replace: 'Pour utiliser une autre carte, saisissez-la ci-dessous.',
    submit: 'Me payer sur cette carte',
    replaceSubmit: 'Utiliser plutôt cette carte',
  },
  es: {
    title: '¿Dónde le pagamos?',
    explain: 'El dinero de esta venta se abona en su tarjeta.',
    youReceive: 'Usted recibe',
    current: 'Se abona en: {card}',
    replace: 'Para usar otra tarjeta, indíquela a continuación.',
    submit: 'Pagarme en esta tarjeta',
    replaceSubmit: 'Usar esta tarjeta en su lugar',
  },
});

/** The element ids of the payout card form (the browser tests' contract). No CVC: money goes to the card, not from it. */
const PAYOUT_IDS = { number: 'payout-number', expiry: 'payout-expiry', holder: 'payout-holder' };

/**
 * The sell's payout step: the card the fiat is paid out to (number, expiry, name on the card). The
 * amount received is shown; a card already given can be replaced until the payout is sent; a declined
 * payout says why.
 */
export default function PayoutCardScreen() {
  const state = useEmbedState();
  const session = useSession();
  const t = useText(text);
  const ct = useText(cardText);
  const action = useAction();
  const form = useCardForm(PAYOUT_IDS);
  const payout = state.sell?.payout ?? null;
  const amount = payout?.amount ?? state.quote?.fiat_amount ?? null;
  const currency = payout?.amount ? payout.fiat_currency : (state.quote?.fiat_currency ?? payout?.fiat_currency ?? '');
  const card = payout?.card ?? null;

  const submit = () =>
    action.run(async () => {
      if (!form.check()) return;
      await session.act('/payout-card', { ...form.card(), holder_name: form.values.holder.trim() });
      form.clear('number', 'expiry', 'holder');
    });

  return (
    <Screen title={t('title')} step="payout_card">
      <p>{t('explain')}</p>
      {amount ? <Facts rows={[[t('youReceive'), `${amount} ${currency}`]]} /> : null}
      {payout?.status === 'declined' ? (
        <p class="error" role="alert" data-code={payout.decline_reason ?? 'declined'}>
          {declineText(ct, payout.decline_reason)}
        </p>
      ) : null}
      {card ? (
        <>
          <p id="payout-current">{t('current', { card: cardEnding(ct, card) })}</p>
          <p class="muted">{t('replace')}</p>
        </>
      ) : null}
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <CardFields form={form} />
        <ErrorNote message={action.error} code={action.code} />
        <Button type="submit" id="payout-submit" busy={action.busy}>
          {t(card ? 'replaceSubmit' : 'submit')}
        </Button>
      </form>
    </Screen>
  );
}
