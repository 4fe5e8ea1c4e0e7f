import { useContext, useEffect, useState } from 'preact/hooks';
import { type EmbedState, isFixed, type Step } from './embed-state.ts';
import { readableError } from './error-text.ts';
import { defineText, type Language, LanguageContext, useText } from './i18n.ts';
import { lazyScreen } from './lazy-screen.tsx';
import { AmountScreen, amountConfirmed } from './screens/amount-screen.tsx';
import { ProcessingScreen } from './screens/processing-screen.tsx';
import { ResultScreen } from './screens/result-screen.tsx';
import { Button, SessionContext, useAction, useEmbedState, useSession, Waiting } from './ui.tsx';
import type { WidgetSession } from './widget-session.ts';

const VerificationScreen = lazyScreen(() => import('./screens/verification/verification-screen.tsx'));
const PaymentScreen = lazyScreen(() => import('./screens/payment/payment-screen.tsx'));
const PayoutCardScreen = lazyScreen(() => import('./screens/payout/payout-card-screen.tsx'));
const DepositScreen = lazyScreen(() => import('./screens/deposit/deposit-screen.tsx'));

const text = defineText({
  en: {
    buy: 'Buy {currency}',
    sell: 'Sell {currency}',
    close: 'Close',
    opening: 'Opening your order…',
    cannotOpen: 'This order cannot be opened',
    code: 'Error code: {code}',
    cancelQuestion: 'Cancel this order?',
    cancelExplain: 'Nothing has been charged. You can start a new order from the site.',
    cancelYes: 'Cancel order',
    cancelNo: 'Keep going',
  },
  fr: {
    buy: 'Acheter des {currency}',
    sell: 'Vendre des {currency}',
    close: 'Fermer',
    opening: 'Ouverture de votre commande…',
    cannotOpen: 'Cette commande ne peut pas être ouverte',
    code: "Code d'erreur : {code}",
    cancelQuestion: 'Annuler cette commande ?',
    cancelExplain: "Rien n'a été débité. Vous pourrez passer une nouvelle commande depuis le site.",
    cancelYes: 'Annuler la commande',
    cancelNo: 'Continuer',
  },
  es: {
    buy: 'Comprar {currency}',
    sell: 'Vender {currency}',
    close: 'Cerrar',
    opening: 'Abriendo su pedido…',
    cannotOpen: 'No se puede abrir este pedido',
    code: 'Código de error: {code}',
    cancelQuestion: '¿Cancelar este pedido?',
    cancelExplain: 'No se ha cobrado nada. Puede empezar un pedido nuevo desde el sitio.',
    cancelYes: 'Cancelar pedido',
    cancelNo: 'Continuar',
  },
});

/** The widget: the session's phase, then the screen of the step the user is on. */
export function App({ session, language }: { session: WidgetSession; language: Language }) {
  const [, rerender] = useState(0);
  useEffect(() => session.subscribe(() => rerender((n) => n + 1)), [session]);
  return (
    <LanguageContext.Provider value={language}>
      <SessionContext.Provider value={session}>
        <main class="widget">{session.phase.kind === 'open' ? <OpenWidget /> : <NotOpen />}</main>
      </SessionContext.Provider>
    </LanguageContext.Provider>
  );
}

function NotOpen() {
  const session = useSession();
  const t = useText(text);
  const phase = session.phase;
  if (phase.kind === 'opening') return <Waiting label={t('opening')} />;
  if (phase.kind !== 'failed') return null;
  return (
    <section class="screen" data-step="error" aria-labelledby="screen-title">
      {/* No header above it: this is the page's only heading, so its first level. */}
      <h1 id="screen-title">{t('cannotOpen')}</h1>
      <p class="error" role="alert">
        <ErrorText code={phase.error.code} details={phase.error.details} />
      </p>
      <p class="muted code">{t('code', { code: phase.error.code })}</p>
    </section>
  );
}

/** The same words as an action's error, but this one ends the session: start again from the site. */
function ErrorText({ code, details }: { code: string; details: { field: string; issue: string }[] }) {
  return <>{readableError(code, useContext(LanguageContext), details, true)}</>;
}

/** Which screen a state shows; the amount screen stays until the user confirms it. */
export function screenFor(state: EmbedState, confirmed: boolean): Step {
  const step = state.next_step;
  if (step === 'amount') return 'amount';
  const untouched = state.transaction.status === 'pending' && !state.payment?.current && !state.sell?.deposit.seen && !isFixedAmount(state);
  if (!confirmed && untouched && ['verification', 'payment', 'payout_card', 'deposit'].includes(step)) return 'amount';
  return step;
}

const isFixedAmount = (state: EmbedState) => isFixed(state.terms.fix_amount) || isFixed(state.terms.fix_fiat_amount);

function OpenWidget() {
  const state = useEmbedState();
  const session = useSession();
  const t = useText(text);
  const [confirmed, setConfirmed] = useState(() => amountConfirmed(session));
  const screen = screenFor(state, confirmed);
  const { transaction } = state;
  return (
    <>
      <header class="top">
        <h1>{t(transaction.type === 'sell' ? 'sell' : 'buy', { currency: transaction.currency })}</h1>
        <CloseButton />
      </header>
      {screen === 'amount' ? <AmountScreen onConfirmed={() => setConfirmed(true)} /> : null}
      {screen === 'verification' || screen === 'verification_pending' ? <VerificationScreen /> : null}
      {screen === 'payment' || screen === 'payment_challenge' ? <PaymentScreen /> : null}
      {screen === 'payout_card' ? <PayoutCardScreen /> : null}
      {screen === 'deposit' ? <DepositScreen /> : null}
      {screen === 'processing' ? <ProcessingScreen /> : null}
      {screen === 'result' ? <ResultScreen /> : null}
    </>
  );
}

/** Closing an order that can still be cancelled asks first, then cancels it; otherwise it just closes. */
function CloseButton() {
  const state = useEmbedState();
  const session = useSession();
  const t = useText(text);
  const [asking, setAsking] = useState(false);
  const action = useAction();
  const cancellable =
    state.transaction.status === 'pending' &&
    !['pending', 'requires_action', 'captured'].includes(state.payment?.current?.status ?? '') &&
    !state.sell?.deposit.seen;
  if (asking && cancellable) {
    return (
      <div class="confirm" role="alertdialog" aria-labelledby="cancel-question" aria-describedby="cancel-explain">
        <p id="cancel-question">
          <strong>{t('cancelQuestion')}</strong>
        </p>
        <p id="cancel-explain">{t('cancelExplain')}</p>
        <div class="actions">
          <Button
            busy={action.busy}
            onClick={() =>
              action.run(async () => {
                await session.act('/session/cancel');
                setAsking(false);
                session.close();
              })
            }
          >
            {t('cancelYes')}
          </Button>
          <Button kind="secondary" onClick={() => setAsking(false)}>
            {t('cancelNo')}
          </Button>
        </div>
        {action.error ? (
          <p class="error" role="alert">
            {action.error}
          </p>
        ) : null}
      </div>
    );
  }
  // A hosted page has no site around it to close back to: it offers only the cancel, and the result screen the way back.
  if (session.source.mode === 'hosted' && !cancellable) return null;
  return (
    <button class="close" type="button" aria-label={t('close')} onClick={() => (cancellable ? setAsking(true) : session.close())}>
      ×
    </button>
  );
}
