import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { defineText, type Translate, useText } from '../../i18n.ts';
import {
  BRAND_NAMES,
  type CardBrand,
  cardBrand,
  cardDigits,
  cardNumberIssue,
  caretAfterDigits,
  cvcDigits,
  cvcIssue,
  cvcLength,
  digitsBefore,
  expiryIssue,
  type FieldIssue,
  formatCardNumber,
  formatExpiry,
  holderNameIssue,
  parseExpiry,
} from './card-rules.ts';

/**
 * The card fields both card steps share (the payment card of a buy, the payout card of a sell), their
 * words, and why a card was declined. The number is grouped as it is typed; each field says what is
 * wrong once the user leaves it or submits. Nothing typed here is kept anywhere but in the form.
 */
export const cardText = defineText({
  en: {
    number: 'Card number',
    expiry: 'Expiry date',
    expiryPlaceholder: 'MM/YY',
    cvc: 'Security code',
    holder: 'Name on the card',
    brand: 'Card brand',
    numberRequired: 'Enter the card number.',
    numberInvalid: 'This card number is not valid. Check it and try again.',
    expiryRequired: 'Enter the date as MM/YY.',
    expiryInvalid: 'Enter the date as MM/YY, for example 08/29.',
    expiryExpired: 'This card has expired.',
    cvcRequired: 'Enter the {n}-digit code.',
    cvcInvalid: 'The code has {n} digits.',
    holderRequired: 'Enter the name on the card.',
    holderInvalid: 'Enter the name as printed on the card (at most 100 characters).',
    endingIn: '{brand} card ending {last4}',
    insufficient_funds: 'The card has insufficient funds.',
    card_declined: 'The card was declined by its bank.',
    expired_card: 'The card has expired.',
    incorrect_cvc: 'The security code is incorrect.',
    three_ds_failed: 'Your bank could not confirm the payment.',
    card_not_supported: 'This card is not accepted. Try another card.',
    invalid_token: 'The wallet payment could not be used. Try again or pay by card.',
    processing_error: 'The payment could not be processed.',
    limit_exceeded: 'The amount is over what this card can receive.',
    invalid_card: 'This card cannot receive money. Check its details or use another card.',
    declined: 'The card was declined.',
  },
  fr: {
    number: 'Numéro de carte',
    expiry: "Date d'expiration",
    expiryPlaceholder: 'MM/AA',
    cvc: 'Code CVC',
    holder: 'Nom sur la carte',
    brand: 'Réseau de la carte',
    numberRequired: 'Saisissez le numéro de la carte.',
    numberInvalid: "Ce numéro de carte n'est pas valide. Vérifiez-le et réessayez.",
    expiryRequired: 'Saisissez la date au format MM/AA.',
    expiryInvalid: 'Saisissez la date au format MM/AA, par exemple 08/29.',
    expiryExpired: 'Cette carte a expiré.',
    cvcRequired: 'Saisissez le code à {n} chiffres.',
    cvcInvalid: 'Le code compte {n} chiffres.',
    holderRequired: 'Saisissez le nom figurant sur la carte.',
    holderInvalid: 'Saisissez le nom tel qu’il figure sur la carte (100 caractères au plus).',
    endingIn: 'Carte {brand} se terminant par {last4}',
    insufficient_funds: 'Le solde de la carte est insuffisant.',
    card_declined: 'La carte a été refusée par sa banque.',
    expired_card: 'La carte a expiré.',
    incorrect_cvc: 'Le code de sécurité est incorrect.',
    three_ds_failed: "Votre banque n'a pas pu confirmer le paiement.",
    card_not_supported: "Cette carte n'est pas acceptée. Essayez une autre carte.",
    invalid_token: "Le paiement par portefeuille n'a pas pu être utilisé. Réessayez ou payez par carte.",
    processing_error: "Le paiement n'a pas pu être traité.",
    limit_exceeded: 'Le montant dépasse ce que cette carte peut recevoir.',
    invalid_card: 'Cette carte ne peut pas recevoir de fonds. Vérifiez ses informations ou utilisez une autre carte.',
    declined: 'La carte a été refusée.',
  },
  es: {
    number: 'Número de tarjeta',
    expiry: 'Fecha de caducidad',
    expiryPlaceholder: 'MM/AA',
    cvc: 'Código CVC',
    holder: 'Nombre en la tarjeta',
    brand: 'Marca de la tarjeta',
    numberRequired: 'Indique el número de la tarjeta.',
    numberInvalid: 'Este número de tarjeta no es válido. Revíselo y vuelva a intentarlo.',
    expiryRequired: 'Indique la fecha como MM/AA.',
    expiryInvalid: 'Indique la fecha como MM/AA, por ejemplo 08/29.',
    expiryExpired: 'Esta tarjeta ha caducado.',
    cvcRequired: 'Indique el código de {n} dígitos.',
    cvcInvalid: 'El código tiene {n} dígitos.',
    holderRequired: 'Indique el nombre que figura en la tarjeta.',
    holderInvalid: 'Indique el nombre tal como figura en la tarjeta (100 caracteres como máximo).',
    endingIn: 'Tarjeta {brand} terminada en {last4}',
    insufficient_funds: 'La tarjeta no tiene fondos suficientes.',
    card_declined: 'El banco de la tarjeta la ha rechazado.',
    expired_card: 'La tarjeta ha caducado.',
    incorrect_cvc: 'El código de seguridad es incorrecto.',
    three_ds_failed: 'Su banco no ha podido confirmar el pago.',
    card_not_supported: 'Esta tarjeta no se acepta. Pruebe con otra tarjeta.',
    invalid_token: 'No se ha podido usar el pago con la billetera. Vuelva a intentarlo o pague con tarjeta.',
    processing_error: 'No se ha podido procesar el pago.',
    limit_exceeded: 'El importe supera lo que esta tarjeta puede recibir.',
    invalid_card: 'Esta tarjeta no puede recibir dinero. Revise sus datos o use otra tarjeta.',
    declined: 'La tarjeta ha sido rechazada.',
  },
});

type CardKey = keyof typeof cardText.en;

/** Why a payment or payout was declined, in the user's words (the platform's decline reasons; any other reads as a decline). */
const DECLINE_KEYS = [
  'insufficient_funds',
  'card_declined',
  'expired_card',
  'incorrect_cvc',
  'three_ds_failed',
  'card_not_supported',
  'invalid_token',
  'processing_error',
  'limit_exceeded',
  'invalid_card',
] as const satisfies readonly CardKey[];

export function declineText(t: Translate<CardKey>, reason: string | null | undefined): string {
  return (DECLINE_KEYS as readonly string[]).includes(reason ?? '') ? t(reason as CardKey) : t('declined');
}

/** "Visa card ending 4242" (no brand name when the brand is unknown). */
export function cardEnding(t: Translate<CardKey>, card: { brand: string; last4: string }): string {
  const brand = BRAND_NAMES[card.brand as CardBrand] ?? '';
  return t('endingIn', { brand, last4: card.last4 }).replace(/\s+/g, ' ').trim();
}

export type CardField = 'number' | 'expiry' | 'cvc' | 'holder';

/** The element id of each field the form shows (the screens' id contract). */
export type FieldIds = Partial<Record<CardField, string>>;

const EMPTY = { number: '', expiry: '', cvc: '', holder: '' };

/** One card form's values, which errors are shown, and what it sends once every field is right. */
export function useCardForm(ids: FieldIds) {
  const [values, setValues] = useState(EMPTY);
  const [shown, setShown] = useState<ReadonlySet<CardField>>(new Set());
  const fields = (Object.keys(ids) as CardField[]).filter((field) => ids[field]);
  const brand = cardBrand(values.number);
  const issueOf = (field: CardField): FieldIssue | null => {
    if (!fields.includes(field)) return null;
    if (field === 'number') return cardNumberIssue(values.number);
    if (field === 'expiry') return expiryIssue(values.expiry, new Date());
    if (field === 'cvc') return cvcIssue(values.cvc, brand);
    return holderNameIssue(values.holder);
  };
  const show = (field: CardField) => setShown((before) => (before.has(field) ? before : new Set([...before, field])));
  return {
    values,
    brand,
    ids,
    /** The issue shown for a field (once left or submitted). */
    issue: (field: CardField) => (shown.has(field) ? issueOf(field) : null),
    set: (field: CardField, value: string) => setValues((before) => ({ ...before, [field]: value })),
    show,
    /** Shows every error; focuses the first wrong field; whether the form can be sent. */
    check(): boolean {
      setShown(new Set(fields));
      const wrong = fields.find((field) => issueOf(field));
      if (wrong) document.getElementById(ids[wrong]!)?.focus();
      return !wrong;
    },
    /** Empties these fields and hides their errors (after an attempt: the number and the CVC). */
    clear(...cleared: CardField[]) {
      setValues((before) => ({ ...before, ...Object.fromEntries(cleared.map((field) => [field, ''])) }));
      setShown((before) => new Set([...before].filter((field) => !cleared.includes(field))));
    },
    /** The card as the API takes it (expiry as integers). Only call after check(). */
    card() {
      const expiry = parseExpiry(values.expiry)!;
      return { number: cardDigits(values.number), expiry_month: expiry.month, expiry_year: expiry.year };
    },
  };
}

export type CardForm = ReturnType<typeof useCardForm>;

/** Replaces an input's value by its formatted form, keeping the caret after the same digit. */
function reformat(input: HTMLInputElement, format: (typed: string) => string): string {
  const typed = input.value;
  const formatted = format(typed);
  if (formatted === typed) return typed;
  const caret = input.selectionStart ?? typed.length;
  input.value = formatted;
  if (document.activeElement === input) {
    const at = caret >= typed.length ? formatted.length : caretAfterDigits(formatted, digitsBefore(typed, caret));
    input.setSelectionRange(at, at);
  }
  return formatted;
}

/** The fields in `form.ids`, in the order number, expiry, CVC, name (expiry and CVC side by side). */
export function CardFields({ form }: { form: CardForm }) {
  const t = useText(cardText);
  const { ids, values, brand } = form;
  const message = (field: CardField): string | null => {
    const issue = form.issue(field);
    if (!issue) return null;
    const n = cvcLength(brand);
    const keys: Record<CardField, Partial<Record<FieldIssue, CardKey>>> = {
      number: { required: 'numberRequired', invalid: 'numberInvalid' },
      expiry: { required: 'expiryRequired', invalid: 'expiryInvalid', expired: 'expiryExpired' },
      cvc: { required: 'cvcRequired', invalid: 'cvcInvalid' },
      holder: { required: 'holderRequired', invalid: 'holderInvalid' },
    };
    return t(keys[field][issue] ?? 'numberInvalid', { n });
  };
  const brandName = BRAND_NAMES[brand];
  return (
    <>
      {ids.number ? (
        <Field
          id={ids.number}
          label={t('number')}
          value={values.number}
          error={message('number')}
          inputMode="numeric"
          autoComplete="cc-number"
          onInput={(input) => form.set('number', reformat(input, formatCardNumber))}
          onBlur={() => form.show('number')}
          withUnit
          after={
            brandName ? (
              <span class="unit" id={`${ids.number}-brand`}>
                <span class="visually-hidden">{t('brand')}: </span>
                {brandName}
              </span>
            ) : null
          }
          described={brandName ? `${ids.number}-brand` : undefined}
        />
      ) : null}
      <div class="row">
        {ids.expiry ? (
          <Field
            id={ids.expiry}
            label={t('expiry')}
            value={values.expiry}
            error={message('expiry')}
            inputMode="numeric"
            autoComplete="cc-exp"
            placeholder={t('expiryPlaceholder')}
            onInput={(input) => form.set('expiry', reformat(input, formatExpiry))}
            onBlur={() => form.show('expiry')}
          />
        ) : null}
        {ids.cvc ? (
          <Field
            id={ids.cvc}
            label={t('cvc')}
            value={values.cvc}
            error={message('cvc')}
            inputMode="numeric"
            autoComplete="cc-csc"
            onInput={(input) =>
              form.set(
                'cvc',
                reformat(input, (typed) => cvcDigits(typed, brand)),
              )
            }
            onBlur={() => form.show('cvc')}
          />
        ) : null}
      </div>
      {ids.holder ? (
        <Field
          id={ids.holder}
          label={t('holder')}
          value={values.holder}
          error={message('holder')}
          autoComplete="cc-name"
          onInput={(input) => form.set('holder', input.value)}
          onBlur={() => form.show('holder')}
        />
      ) : null}
    </>
  );
}

function Field(props: {
  id: string;
  label: string;
  value: string;
  error: string | null;
  onInput: (input: HTMLInputElement) => void;
  onBlur: () => void;
  inputMode?: 'numeric';
  autoComplete: string;
  placeholder?: string;
  withUnit?: boolean;
  after?: ComponentChildren;
  described?: string;
}) {
  const errorId = `${props.id}-error`;
  const described = [props.error ? errorId : null, props.described].filter(Boolean).join(' ') || undefined;
  const control = (
    <input
      id={props.id}
      name={props.id}
      type="text"
      inputMode={props.inputMode}
      autoComplete={props.autoComplete}
      placeholder={props.placeholder}
      spellcheck={false}
      autoCapitalize={props.inputMode ? 'off' : 'words'}
      value={props.value}
      aria-invalid={props.error ? true : undefined}
      aria-describedby={described}
      onInput={(event) => props.onInput(event.currentTarget)}
      onBlur={props.onBlur}
    />
  );
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.withUnit ? (
        // The wrapper stays while the brand comes and goes, so the input is never redrawn as it is typed in.
        <div class="with-unit">
          {control}
          {props.after}
        </div>
      ) : (
        control
      )}
      {props.error ? (
        <p id={errorId} class="error" role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}
