import { useEffect, useRef, useState } from 'preact/hooks';
import { isFixed } from '../embed-state.ts';
import { countdown, normalizeAmount } from '../format.ts';
import { defineText, useText } from '../i18n.ts';
import { Button, ErrorNote, Facts, Screen, useAction, useEmbedState, useSession } from '../ui.tsx';
import type { WidgetSession } from '../widget-session.ts';

const text = defineText({
  en: {
    title: 'How much?',
    youPay: 'You pay',
    youGet: 'You get',
    youSell: 'You sell',
    youReceive: 'You receive',
    enterIn: 'Enter the amount in {currency}',
    amountIn: 'Amount in {currency}',
    fixedNote: 'Set by the site',
    network: 'Network',
    rate: 'Rate',
    fee: 'Fee',
    networkFee: 'Network fee',
    validFor: 'Price held for {time}',
    expired: 'The price has expired: it is refreshed when you continue.',
    pricing: 'Getting the price…',
    invalid: 'Enter an amount such as 100 or 0.05.',
    continue: 'Continue',
  },
  fr: {
    title: 'Quel montant ?',
    youPay: 'Vous payez',
    youGet: 'Vous recevez',
    youSell: 'Vous vendez',
    youReceive: 'Vous recevez',
    enterIn: 'Saisir le montant en {currency}',
    amountIn: 'Montant en {currency}',
    fixedNote: 'Fixé par le site',
    network: 'Réseau',
    rate: 'Cours',
    fee: 'Frais',
    networkFee: 'Frais de réseau',
    validFor: 'Prix garanti pendant {time}',
    expired: 'Le prix a expiré : il sera actualisé quand vous continuerez.',
    pricing: 'Calcul du prix…',
    invalid: 'Saisissez un montant comme 100 ou 0,05.',
    continue: 'Continuer',
  },
  es: {
    title: '¿Cuánto?',
    youPay: 'Usted paga',
    youGet: 'Usted recibe',
    youSell: 'Usted vende',
    youReceive: 'Usted recibe',
    enterIn: 'Indicar el importe en {currency}',
    amountIn: 'Importe en {currency}',
    fixedNote: 'Fijado por el sitio',
    network: 'Red',
    rate: 'Tipo de cambio',
    fee: 'Comisión',
    networkFee: 'Comisión de red',
    validFor: 'Precio garantizado durante {time}',
    expired: 'El precio ha caducado: se actualizará al continuar.',
    pricing: 'Calculando el precio…',
    invalid: 'Indique un importe como 100 o 0,05.',
    continue: 'Continuar',
  },
});

const confirmedKey = (session: WidgetSession) =>
  `proof-widget:${session.params?.widget_id}:${session.params?.merchant_transaction_id}:amount-confirmed`;

/** Whether the user confirmed the amount in this browser tab (a reload then resumes past this screen). */
export function amountConfirmed(session: WidgetSession): boolean {
  try {
    return sessionStorage.getItem(confirmedKey(session)) === '1';
  } catch {
    return false;
  }
}

/**
 * The amount and its live quote. The user types in crypto or in fiat (whichever the partner did not
 * fix); each pause prices it (POST /session/quote, which also locks it for a while), and Continue
 * goes on with the amount shown. Amounts fixed by the partner are shown, not editable.
 */
export function AmountScreen({ onConfirmed }: { onConfirmed: () => void }) {
  const state = useEmbedState();
  const session = useSession();
  const t = useText(text);
  const action = useAction();
  const { transaction, quote, terms } = state;
  const fixedCrypto = isFixed(terms.fix_amount);
  const fixedFiat = isFixed(terms.fix_fiat_amount);
  const fiatCurrency = quote?.fiat_currency ?? session.params?.fiat_currency ?? '';
  const [inFiat, setInFiat] = useState(transaction.type === 'buy' ? !fixedFiat : fixedCrypto);
  const [typed, setTyped] = useState(() => (inFiat ? quote?.fiat_amount : quote?.crypto_amount) ?? '');
  const [invalid, setInvalid] = useState(false);
  const [now, setNow] = useState(Date.now());
  const lastPriced = useRef<string>(typed);
  const editable = !(inFiat ? fixedFiat : fixedCrypto) && !(fixedCrypto && fixedFiat);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  // Price each pause in typing (400 ms), once per distinct amount.
  useEffect(() => {
    if (!editable) return;
    const amount = normalizeAmount(typed);
    setInvalid(typed.trim() !== '' && amount === null);
    if (!amount || amount === lastPriced.current) return;
    const timer = setTimeout(() => {
      lastPriced.current = amount;
      void action.run(() => session.act('/session/quote', inFiat ? { fiat_amount: amount } : { amount }));
    }, 400);
    return () => clearTimeout(timer);
  }, [typed, inFiat]);

  const switchUnit = () => {
    const next = !inFiat;
    setInFiat(next);
    const shown = (next ? quote?.fiat_amount : quote?.crypto_amount) ?? '';
    lastPriced.current = shown;
    setTyped(shown);
  };

  const confirm = () =>
    action.run(async () => {
      const amount = normalizeAmount(typed);
      if (editable && !amount) {
        setInvalid(true);
        return;
      }
      // A quote that has lapsed (or was never locked) is priced again now, at the amount shown.
      if (!quote || quote.expired || (editable && amount !== (inFiat ? quote.fiat_amount : quote.crypto_amount))) {
        await session.act('/session/quote', editable && amount ? (inFiat ? { fiat_amount: amount } : { amount }) : {});
      }
      try {
        sessionStorage.setItem(confirmedKey(session), '1');
      } catch {
        // blocked storage: a reload shows this screen again, nothing worse
      }
      onConfirmed();
    });

  const unit = inFiat ? fiatCurrency : transaction.currency;
  const other = inFiat ? transaction.currency : fiatCurrency;
  const isBuy = transaction.type === 'buy';
  const otherAmount = quote ? (inFiat ? quote.crypto_amount : quote.fiat_amount) : '—';
  const otherLabel = inFiat === isBuy ? t(isBuy ? 'youGet' : 'youSell') : t(isBuy ? 'youPay' : 'youReceive');
  const fieldLabel = inFiat === isBuy ? t(isBuy ? 'youPay' : 'youReceive') : t(isBuy ? 'youGet' : 'youSell');
  return (
    <Screen title={t('title')} step="amount">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void confirm();
        }}
        noValidate
      >
        <div class="field">
          <label for="amount">
            {fieldLabel} <span class="muted">({t('amountIn', { currency: unit })})</span>
          </label>
          <div class="with-unit">
            <input
              id="amount"
              name="amount"
              inputMode="decimal"
              autoComplete="off"
              value={typed}
              readOnly={!editable}
              aria-invalid={invalid}
              aria-describedby={invalid ? 'amount-hint' : editable ? undefined : 'amount-fixed'}
              onInput={(event) => setTyped((event.target as HTMLInputElement).value)}
            />
            <span class="unit" aria-hidden="true">
              {unit}
            </span>
          </div>
          {invalid ? (
            <p id="amount-hint" class="error">
              {t('invalid')}
            </p>
          ) : null}
          {editable ? null : (
            <p id="amount-fixed" class="muted">
              {t('fixedNote')}
            </p>
          )}
          {!fixedCrypto && !fixedFiat ? (
            <button type="button" class="link" onClick={switchUnit}>
              {t('enterIn', { currency: other })}
            </button>
          ) : null}
        </div>
        <div aria-live="polite">
          <Facts
            rows={[
              [otherLabel, quote ? `${otherAmount} ${other}` : '—'],
              [t('network'), transaction.network],
              ...(quote
                ? ([
                    [t('rate'), `1 ${transaction.currency} = ${quote.rate} ${quote.fiat_currency}`],
                    [t('fee'), `${quote.partner_fee} ${quote.fiat_currency}`],
                    [t('networkFee'), `${quote.network_fee} ${transaction.currency}`],
                  ] as [string, string][])
                : []),
            ]}
          />
        </div>
        {quote?.expires_at ? (
          <p class="muted">
            {quote.expired || new Date(quote.expires_at).getTime() <= now
              ? t('expired')
              : t('validFor', { time: countdown(quote.expires_at, now) })}
          </p>
        ) : null}
        <ErrorNote message={action.error} code={action.code} />
        <Button type="submit" busy={action.busy} id="amount-continue">
          {t('continue')}
        </Button>
      </form>
    </Screen>
  );
}
