import { useEffect, useState } from 'preact/hooks';
import type { EmbedState, PaymentAttempt, Quote } from '../../embed-state.ts';
import { countdown } from '../../format.ts';
import { defineText, useText } from '../../i18n.ts';
import { Button, ErrorNote, Facts, Screen, useAction, useEmbedState, useSession } from '../../ui.tsx';
import { CardFields, cardText, declineText, useCardForm } from './card-fields.tsx';
import { WALLET_METHODS, type WalletMethod } from './wallet-rules.ts';
import { payWithWallet, walletAvailable } from './wallets.ts';

const text = defineText({
  en: {
    title: 'Payment',
    youPay: 'You pay',
    youGet: 'You get',
    network: 'Network',
    validFor: 'Price held for {time}',
    expired: 'The price has expired. Refresh it to pay.',
    refresh: 'Refresh the price',
    pay: 'Pay {amount}',
    byCard: 'Or pay by card',
    apple_pay: 'Pay with Apple Pay',
    google_pay: 'Pay with Google Pay',
    authorising: 'Waiting for your bank to confirm the payment…',
    attemptsLeft: '{n} attempts left.',
    attemptLeft: '1 attempt left.',
    noAttempts: 'No payment attempts are left for this order.',
    challengeTitle: 'Confirm with your bank',
    challengeAnswer: 'Code from your bank',
    challengeRequired: 'Enter the code your bank gave you.',
    challengeSubmit: 'Confirm',
    noChallenge: 'Your bank is no longer waiting for this code. The screen is up to date now.',
  },
  fr: {
    title: 'Paiement',
    youPay: 'Vous payez',
    youGet: 'Vous recevez',
    network: 'Réseau',
    validFor: 'Prix garanti pendant {time}',
    expired: 'Le prix a expiré. Actualisez-le pour payer.',
    refresh: 'Actualiser le prix',
    pay: 'Payer {amount}',
    byCard: 'Ou payez par carte',
    apple_pay: 'Payer avec Apple Pay',
    google_pay: 'Payer avec Google Pay',
    authorising: 'En attente de la confirmation du paiement par votre banque…',
    attemptsLeft: 'Il reste {n} tentatives.',
    attemptLeft: 'Il reste 1 tentative.',
    noAttempts: 'Il ne reste plus de tentative de paiement pour cette commande.',
    challengeTitle: 'Confirmez auprès de votre banque',
    challengeAnswer: 'Code de votre banque',
    challengeRequired: 'Saisissez le code que votre banque vous a donné.',
    challengeSubmit: 'Confirmer',
    noChallenge: "Votre banque n'attend plus ce code. L'écran est maintenant à jour.",
  },
  es: {
    title: 'Pago',
    youPay: 'Usted paga',
    youGet: 'Usted recibe',
    network: 'Red',
    validFor: 'Precio garantizado durante {time}',
    expired: 'El precio ha caducado. Actualícelo para pagar.',
    refresh: 'Actualizar el precio',
    pay: 'Pagar {amount}',
    byCard: 'O pague con tarjeta',
    apple_pay: 'Pagar con Apple Pay',
    google_pay: 'Pagar con Google Pay',
    authorising: 'Esperando a que su banco confirme el pago…',
    attemptsLeft: 'Quedan {n} intentos.',
    attemptLeft: 'Queda 1 intento.',
    noAttempts: 'No quedan intentos de pago para este pedido.',
    challengeTitle: 'Confirme con su banco',
    challengeAnswer: 'Código de su banco',
    challengeRequired: 'Indique el código que le ha dado su banco.',
    challengeSubmit: 'Confirmar',
    noChallenge: 'Su banco ya no espera este código. La pantalla ya está al día.',
  },
});

/** The element ids of the card form (the browser tests' contract). */
const CARD_IDS = { number: 'card-number', expiry: 'card-expiry', cvc: 'card-cvc' };

/** An attempt the platform is still deciding: no form meanwhile. */
const DECIDING: PaymentAttempt['status'][] = ['pending', 'requires_action', 'captured'];

/**
 * The buy's payment step: what is paid, then a card (or Apple Pay / Google Pay where the browser
 * offers them); the 3-D Secure challenge when the bank asks for one; a decline says why and how many
 * attempts are left, and the same transaction can be paid again. The card form lives here, above the
 * views, so the expiry typed survives a pending attempt; the number and the CVC are emptied once sent.
 */
export default function PaymentScreen() {
  const state = useEmbedState();
  const t = useText(text);
  const form = useCardForm(CARD_IDS);
  const wallets = useWallets(state);
  const current = state.payment?.current ?? null;
  const declined = current && (current.status === 'declined' || current.status === 'failed') ? current : null;

  // A new decline: the number and CVC go (try again with another card, or the same one retyped).
  useEffect(() => {
    if (!declined) return;
    form.clear('number', 'cvc');
    if (!document.activeElement || document.activeElement === document.body) document.getElementById(CARD_IDS.number)?.focus();
  }, [declined?.attempt_id]);

  if (current?.status === 'requires_action' && current.challenge) return <Challenge attempt={current} />;
  if (current && DECIDING.includes(current.status)) {
    return (
      <Screen title={t('title')} step="payment">
        <p class="waiting" role="status">
          <span class="spinner" aria-hidden="true" />
          {t('authorising')}
        </p>
      </Screen>
    );
  }
  return <Pay form={form} wallets={wallets} declined={declined} />;
}

/** The wallets this browser offers, asked once when the step opens (none in a browser without the Payment Request API). */
function useWallets(state: EmbedState): WalletMethod[] {
  const [available, setAvailable] = useState<WalletMethod[]>([]);
  useEffect(() => {
    const quote = state.quote;
    if (!quote) return;
    let live = true;
    const label = walletLabel(state, quote);
    void Promise.all(WALLET_METHODS.map((method) => walletAvailable(method, quote, label))).then((offered) => {
      if (live) setAvailable(WALLET_METHODS.filter((_, index) => offered[index]));
    });
    return () => {
      live = false;
    };
  }, []);
  return available;
}

const walletLabel = (state: EmbedState, quote: Quote) => `${quote.crypto_amount} ${state.transaction.currency}`;

function Pay({
  form,
  wallets,
  declined,
}: {
  form: ReturnType<typeof useCardForm>;
  wallets: WalletMethod[];
  declined: PaymentAttempt | null;
}) {
  const state = useEmbedState();
  const session = useSession();
  const t = useText(text);
  const ct = useText(cardText);
  const action = useAction();
  const now = useNow();
  const { quote, transaction, payment } = state;
  const expired = !quote || quote.expired || (quote.expires_at !== null && new Date(quote.expires_at).getTime() <= now);
  const needsRefresh = expired || action.code === 'quote_required';
  const attemptsLeft = payment?.attempts_left ?? null;
  const price = quote ? `${quote.fiat_amount} ${quote.fiat_currency}` : '';

  const refresh = () => action.run(() => session.act('/session/quote', {}));
  const payByCard = () =>
    action.run(async () => {
      if (!form.check()) return;
      await session.act('/payments', { method: 'card', card: { ...form.card(), cvc: form.values.cvc } });
      form.clear('number', 'cvc');
    });
  const payByWallet = (method: WalletMethod) =>
    // Straight from the click, with no wait before the wallet's sheet opens: it needs the user's gesture.
    action.run(() =>
      payWithWallet(method, quote!, walletLabel(state, quote!), async (token) => {
        const next = await session.act('/payments', { method, token });
        return DECIDING.includes(next.payment?.current?.status ?? 'failed');
      }),
    );

  return (
    <Screen title={t('title')} step="payment">
      {quote ? (
        <Facts
          rows={[
            [t('youPay'), price],
            [t('youGet'), `${quote.crypto_amount} ${transaction.currency}`],
            [t('network'), transaction.network],
          ]}
        />
      ) : null}
      {quote?.expires_at || needsRefresh ? (
        <p class="muted">{needsRefresh ? t('expired') : t('validFor', { time: countdown(quote!.expires_at!, now) })}</p>
      ) : null}
      {declined ? (
        <div class="error" role="alert" data-code={declined.decline_reason ?? declined.status}>
          <p>{declineText(ct, declined.decline_reason)}</p>
          {attemptsLeft !== null ? (
            <p>{attemptsLeft === 0 ? t('noAttempts') : attemptsLeft === 1 ? t('attemptLeft') : t('attemptsLeft', { n: attemptsLeft })}</p>
          ) : null}
        </div>
      ) : attemptsLeft === 0 ? (
        <p class="error" role="alert" data-code="payment_attempts_exhausted">
          {t('noAttempts')}
        </p>
      ) : null}
      {attemptsLeft === 0 ? null : (
        <>
          {wallets.length > 0 && !needsRefresh ? (
            <div class="actions">
              {wallets.map((method) => (
                <Button
                  key={method}
                  id={method === 'apple_pay' ? 'pay-apple' : 'pay-google'}
                  kind="secondary"
                  disabled={action.busy}
                  onClick={() => void payByWallet(method)}
                >
                  {t(method)}
                </Button>
              ))}
              <p class="muted">{t('byCard')}</p>
            </div>
          ) : null}
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              void (needsRefresh ? refresh() : payByCard());
            }}
          >
            <CardFields form={form} />
            <ErrorNote message={action.error} code={action.code} />
            {needsRefresh ? (
              <Button type="submit" id="refresh-quote" busy={action.busy}>
                {t('refresh')}
              </Button>
            ) : (
              <Button type="submit" id="pay-card" busy={action.busy}>
                {t('pay', { amount: price })}
              </Button>
            )}
          </form>
        </>
      )}
    </Screen>
  );
}

/** The 3-D Secure step: the bank's prompt and the code it asks for. */
function Challenge({ attempt }: { attempt: PaymentAttempt }) {
  const session = useSession();
  const t = useText(text);
  const action = useAction();
  const [answer, setAnswer] = useState('');
  const [missing, setMissing] = useState(false);
  const submit = () =>
    action.run(async () => {
      const given = answer.trim();
      if (!given) {
        setMissing(true);
        document.getElementById('challenge-answer')?.focus();
        return;
      }
      await session.act(`/payments/${encodeURIComponent(attempt.attempt_id)}/challenge`, { answer: given });
    });
  const described = ['challenge-prompt', missing ? 'challenge-error' : null].filter(Boolean).join(' ');
  return (
    <Screen title={t('challengeTitle')} step="payment_challenge">
      <p id="challenge-prompt">{attempt.challenge?.prompt}</p>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div class="field">
          <label for="challenge-answer">{t('challengeAnswer')}</label>
          <input
            id="challenge-answer"
            name="challenge-answer"
            type="text"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={64}
            spellcheck={false}
            value={answer}
            aria-invalid={missing ? true : undefined}
            aria-describedby={described}
            onInput={(event) => {
              setAnswer(event.currentTarget.value);
              if (event.currentTarget.value.trim()) setMissing(false);
            }}
          />
          {missing ? (
            <p id="challenge-error" class="error" role="alert">
              {t('challengeRequired')}
            </p>
          ) : null}
        </div>
        <ErrorNote message={action.code === 'no_challenge_pending' ? t('noChallenge') : action.error} code={action.code} />
        <Button type="submit" id="challenge-submit" busy={action.busy}>
          {t('challengeSubmit')}
        </Button>
      </form>
    </Screen>
  );
}

/** The clock, once a second (the quote's time left). */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
