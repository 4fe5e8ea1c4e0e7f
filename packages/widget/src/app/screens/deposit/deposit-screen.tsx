import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { encode } from 'uqr';
import { countdown } from '../../format.ts';
import { defineText, useText } from '../../i18n.ts';
import { Facts, Screen, useEmbedState } from '../../ui.tsx';
import { cardBrand, type DeadlineMark, deadlineMark, depositFit, qrPath, qrText } from './deposit-logic.ts';

const text = defineText({
  en: {
    title: 'Send your {currency}',
    sendExactly: 'Send exactly {amount} {currency}',
    sendCurrency: 'Send {currency}',
    amount: 'Amount to send',
    address: 'To this address',
    copyAmount: 'Copy amount',
    copyAddress: 'Copy address',
    copied: 'Copied',
    selected: 'Selected: copy it with your device’s copy command.',
    qr: 'QR code of the deposit address',
    warning: 'Send only {currency} on the {network} network. Anything else is lost.',
    timeLeft: 'Time left to send: {time}',
    closed: 'The deposit window has closed. Do not send anything to this address now.',
    tenMinutes: 'Less than 10 minutes left to send.',
    oneMinute: 'Less than 1 minute left to send.',
    seen: 'Deposit seen: {n} of {required} confirmations',
    received: 'Received',
    short: 'Less than the amount asked arrived: what you receive will be priced again for what arrived.',
    over: 'More than the amount asked arrived: you receive the quoted amount, and the rest is held. Contact the site to get it back.',
    paidTo: 'Paid to card ending {last4}{brand}',
    youReceive: 'You receive',
    waitingNote: 'Keep this window open or come back later: the deposit is seen once it is on the network.',
  },
  fr: {
    title: 'Envoyez vos {currency}',
    sendExactly: 'Envoyez exactement {amount} {currency}',
    sendCurrency: 'Envoyez des {currency}',
    amount: 'Montant à envoyer',
    address: 'À cette adresse',
    copyAmount: 'Copier le montant',
    copyAddress: "Copier l'adresse",
    copied: 'Copié',
    selected: 'Sélectionné : copiez-le avec la commande de copie de votre appareil.',
    qr: "QR code de l'adresse de dépôt",
    warning: 'Envoyez uniquement des {currency} sur le réseau {network}. Tout autre envoi est perdu.',
    timeLeft: "Temps restant pour l'envoi : {time}",
    closed: "Le délai de dépôt est écoulé. N'envoyez plus rien à cette adresse.",
    tenMinutes: "Moins de 10 minutes pour l'envoi.",
    oneMinute: "Moins d'une minute pour l'envoi.",
    seen: 'Dépôt repéré : {n} sur {required} confirmations',
    received: 'Reçu',
    short: 'Le montant reçu est inférieur au montant demandé : ce que vous recevez sera recalculé pour le montant arrivé.',
    over: 'Le montant reçu dépasse le montant demandé : vous recevez le montant prévu, et le surplus est conservé. Contactez le site pour le récupérer.',
    paidTo: 'Versé sur la carte se terminant par {last4}{brand}',
    youReceive: 'Vous recevez',
    waitingNote: 'Gardez cette fenêtre ouverte ou revenez plus tard : le dépôt apparaît dès qu’il est sur le réseau.',
  },
  es: {
    title: 'Envíe sus {currency}',
    sendExactly: 'Envíe exactamente {amount} {currency}',
    sendCurrency: 'Envíe {currency}',
    amount: 'Importe a enviar',
    address: 'A esta dirección',
    copyAmount: 'Copiar importe',
    copyAddress: 'Copiar dirección',
    copied: 'Copiado',
    selected: 'Seleccionado: cópielo con la función de copiar de su dispositivo.',
    qr: 'Código QR de la dirección de depósito',
    warning: 'Envíe solo {currency} en la red {network}. Cualquier otro envío se pierde.',
    timeLeft: 'Tiempo restante para enviar: {time}',
    closed: 'El plazo de depósito ha terminado. No envíe nada a esta dirección ahora.',
    tenMinutes: 'Quedan menos de 10 minutos para enviar.',
    oneMinute: 'Queda menos de 1 minuto para enviar.',
    seen: 'Depósito detectado: {n} de {required} confirmaciones',
    received: 'Recibido',
    short: 'Llegó menos del importe pedido: lo que usted recibe se volverá a calcular según lo que llegó.',
    over: 'Llegó más del importe pedido: usted recibe el importe previsto y el resto queda retenido. Contacte con el sitio para recuperarlo.',
    paidTo: 'Pagado a la tarjeta terminada en {last4}{brand}',
    youReceive: 'Usted recibe',
    waitingNote: 'Mantenga esta ventana abierta o vuelva más tarde: el depósito aparece en cuanto está en la red.',
  },
});

/**
 * A sell's deposit: the exact amount and the address to send it to (each copyable, the address also
 * as a QR code), the network warning, the time left, then the deposit as the network confirms it.
 * The live state moves the screen on (processing once confirmed, or the result).
 */
export default function DepositScreen() {
  const state = useEmbedState();
  const t = useText(text);
  const { quote, sell } = state;
  const deposit = sell?.deposit;
  const [now, setNow] = useState(Date.now());
  const [copied, setCopied] = useState('');
  const [spoken, setSpoken] = useState('');
  const copiedTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearInterval(timer);
      clearTimeout(copiedTimer.current);
    };
  }, []);

  // The countdown is read out at a few moments only: ten minutes left, one minute left, closed.
  const mark = deposit ? deadlineMark(deposit.deadline, now) : null;
  const lastMark = useRef<DeadlineMark | null>(mark);
  useEffect(() => {
    if (mark === lastMark.current) return;
    lastMark.current = mark;
    if (mark) setSpoken(t(mark));
  }, [mark]);

  if (!deposit) return null;

  const copy = async (value: string, element: HTMLElement | null) => {
    const say = (message: string) => {
      // Emptied first so the same word said twice is announced twice.
      setCopied('');
      clearTimeout(copiedTimer.current);
      copiedTimer.current = setTimeout(() => {
        setCopied(message);
        copiedTimer.current = setTimeout(() => setCopied(''), 4000);
      }, 50);
    };
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no Clipboard API');
      await navigator.clipboard.writeText(value);
      say(t('copied'));
    } catch {
      // No Clipboard API, or refused (permissions, an iframe without clipboard-write): select the
      // text so the user copies it themselves (the old copy command may still do it here).
      if (element) {
        const range = document.createRange();
        range.selectNodeContents(element);
        const selection = window.getSelection();
        selection?.removeAllRanges();
        selection?.addRange(range);
      }
      let done = false;
      try {
        done = document.execCommand('copy');
      } catch {
        done = false;
      }
      say(done ? t('copied') : t('selected'));
    }
  };

  const closed = mark === 'closed';
  const fit = depositFit(deposit.received_amount, deposit.amount);
  const card = sell.payout.card;
  return (
    <Screen title={t('title', { currency: deposit.currency })} step="deposit">
      {deposit.amount ? (
        <div class="field">
          <p class="label" id="deposit-amount-label">
            {t('sendExactly', { amount: deposit.amount, currency: deposit.currency })}
          </p>
          <div class="copy-row">
            <span id="deposit-amount" class="copy-text">
              {deposit.amount}
            </span>
            <span class="muted">{deposit.currency}</span>
            <button
              id="copy-amount"
              class="button secondary copy"
              type="button"
              onClick={() => void copy(deposit.amount!, document.getElementById('deposit-amount'))}
            >
              {t('copyAmount')}
            </button>
          </div>
        </div>
      ) : (
        <p class="label">{t('sendCurrency', { currency: deposit.currency })}</p>
      )}
      <div class="field">
        <p class="label" id="deposit-address-label">
          {t('address')}
        </p>
        <div class="copy-row">
          <span id="deposit-address" class="copy-text address">
            {deposit.address}
          </span>
          <button
            id="copy-address"
            class="button secondary copy"
            type="button"
            aria-describedby="deposit-address-label"
            onClick={() => void copy(deposit.address, document.getElementById('deposit-address'))}
          >
            {t('copyAddress')}
          </button>
        </div>
      </div>
      <p class="muted copy-status" role="status">
        {copied}
      </p>
      {closed ? null : <QrCode value={qrText(deposit)} label={t('qr')} />}
      <p class="note" role="note">
        {t('warning', { currency: deposit.currency, network: deposit.network })}
      </p>
      <p id="deposit-countdown" role="timer" class={closed ? 'error' : undefined}>
        {closed ? t('closed') : t('timeLeft', { time: countdown(deposit.deadline, now) })}
      </p>
      <p class="visually-hidden" aria-live="polite">
        {spoken}
      </p>
      <div aria-live="polite" id="deposit-progress">
        {deposit.seen ? (
          <>
            <p id="deposit-confirmations" class="ok">
              {t('seen', {
                n: Math.min(deposit.confirmations, deposit.required_confirmations),
                required: deposit.required_confirmations,
              })}
            </p>
            {deposit.received_amount ? <Facts rows={[[t('received'), `${deposit.received_amount} ${deposit.currency}`]]} /> : null}
            {fit === 'short' || fit === 'over' ? (
              <p class="note" id="deposit-fit">
                {t(fit)}
              </p>
            ) : null}
          </>
        ) : null}
      </div>
      {quote ? <Facts rows={[[t('youReceive'), `${quote.fiat_amount} ${quote.fiat_currency}`]]} /> : null}
      {card ? (
        <p id="deposit-payout-card">
          {t('paidTo', { last4: card.last4, brand: cardBrand(card.brand) ? ` (${cardBrand(card.brand)})` : '' })}
        </p>
      ) : null}
      {deposit.seen || closed ? null : <p class="muted">{t('waitingNote')}</p>}
    </Screen>
  );
}

/**
 * The QR code as Preact SVG elements (no markup string, so nothing for the CSP to refuse): dark
 * modules on white with a four-module quiet zone, whatever the theme, so any camera reads it.
 */
function QrCode({ value, label }: { value: string; label: string }) {
  const qr = useMemo(() => encode(value, { ecc: 'M', border: 4 }), [value]);
  return (
    <svg
      class="qr"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      shape-rendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect width={qr.size} height={qr.size} fill="#ffffff" />
      <path d={qrPath(qr.data)} fill="#000000" />
    </svg>
  );
}
