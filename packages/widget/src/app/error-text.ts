import { defineText, type Language, translate } from './i18n.ts';

const text = defineText({
  en: {
    startAgain: 'Go back to the site and start again.',
    otherWidget: 'This order was made for another widget.',
    tampered: 'The details of this order were changed on the way{fields}, so it cannot be trusted.',
    used: 'This order has expired or was already opened.',
    invalid: 'This order is not valid.',
    incomplete: 'The site sent incomplete order details.',
    tooMany: 'Too many attempts. Wait a minute, then try again.',
    offline: 'The service cannot be reached. Check your connection, then try again.',
    notEmbedded: 'This page only works inside the site that sent you here.',
    expiredSession: 'This session has ended.',
    quoteRequired: 'The price has expired. Refresh it to go on.',
    inProgress: 'A payment is already under way. Wait for its outcome.',
    exhausted: 'No payment attempts are left for this order.',
    moved: 'This order has moved on. The screen is up to date now.',
    upstream: 'The service is not answering right now. Try again in a moment.',
    generic: 'Something went wrong. Try again.',
    range: 'Choose an amount worth between {min} and {max}.',
    tooLarge: 'This file is too large. Choose a smaller one.',
    fileType: 'This file cannot be used. Choose a JPEG or PNG photo, or a PDF (a selfie must be a photo).',
    missingUploads: 'Some photos are missing. Upload every side asked for, then submit again.',
    checkDetails: 'Check your name and document number, then try again.',
  },
  fr: {
    startAgain: 'Retournez sur le site et recommencez.',
    otherWidget: 'Cette commande a été créée pour un autre widget.',
    tampered: 'Les détails de cette commande ont été modifiés en route{fields} : elle ne peut pas être acceptée.',
    used: 'Cette commande a expiré ou a déjà été ouverte.',
    invalid: "Cette commande n'est pas valide.",
    incomplete: 'Le site a envoyé une commande incomplète.',
    tooMany: 'Trop de tentatives. Attendez une minute, puis réessayez.',
    offline: 'Le service est injoignable. Vérifiez votre connexion, puis réessayez.',
    notEmbedded: 'Cette page ne fonctionne que dans le site qui vous y a envoyé.',
    expiredSession: 'Cette session est terminée.',
    quoteRequired: 'Le prix a expiré. Actualisez-le pour continuer.',
    inProgress: 'Un paiement est déjà en cours. Attendez son résultat.',
    exhausted: 'Il ne reste plus de tentative de paiement pour cette commande.',
    moved: "Cette commande a avancé. L'écran est maintenant à jour.",
    upstream: 'Le service ne répond pas pour le moment. Réessayez dans un instant.',
    generic: 'Un problème est survenu. Réessayez.',
    range: 'Choisissez un montant compris entre {min} et {max}.',
    tooLarge: 'Ce fichier est trop volumineux. Choisissez-en un plus petit.',
    fileType: 'Ce fichier ne peut pas être utilisé. Choisissez une photo JPEG ou PNG, ou un PDF (le selfie doit être une photo).',
    missingUploads: 'Il manque des photos. Envoyez chaque face demandée, puis validez à nouveau.',
    checkDetails: 'Vérifiez votre nom et le numéro du document, puis réessayez.',
  },
  es: {
    startAgain: 'Vuelva al sitio y empiece de nuevo.',
    otherWidget: 'Este pedido se creó para otro widget.',
    tampered: 'Los datos de este pedido se modificaron por el camino{fields}, así que no es de fiar.',
    used: 'Este pedido ha caducado o ya se abrió.',
    invalid: 'Este pedido no es válido.',
    incomplete: 'El sitio envió un pedido incompleto.',
    tooMany: 'Demasiados intentos. Espere un minuto y vuelva a intentarlo.',
    offline: 'No se puede acceder al servicio. Compruebe su conexión y vuelva a intentarlo.',
    notEmbedded: 'Esta página solo funciona dentro del sitio que le trajo aquí.',
    expiredSession: 'Esta sesión ha terminado.',
    quoteRequired: 'El precio ha caducado. Actualícelo para continuar.',
    inProgress: 'Ya hay un pago en curso. Espere su resultado.',
    exhausted: 'No quedan intentos de pago para este pedido.',
    moved: 'Este pedido ha avanzado. La pantalla ya está al día.',
    upstream: 'El servicio no responde ahora mismo. Vuelva a intentarlo en un momento.',
    generic: 'Algo salió mal. Vuelva a intentarlo.',
    range: 'Elija un importe de entre {min} y {max}.',
    tooLarge: 'Este archivo es demasiado grande. Elija uno más pequeño.',
    fileType: 'Este archivo no se puede usar. Elija una foto JPEG o PNG, o un PDF (el selfie debe ser una foto).',
    missingUploads: 'Faltan fotos. Suba cada cara que se pide y vuelva a enviar.',
    checkDetails: 'Revise su nombre y el número del documento y vuelva a intentarlo.',
  },
});

/**
 * What the user reads for an error code (the embed API's, or the widget's own: network_error,
 * invalid_parameter, not_embedded). The developer's message goes to the partner's onError: it is
 * written for them. `fatal` errors end the session (the user must start again from the site).
 */
export function readableError(code: string, language: Language, details: { field: string; issue: string }[] = [], fatal = false): string {
  const t = translate(text, language);
  const fields = details.map((detail) => detail.field);
  const again = fatal ? ` ${t('startAgain')}` : '';
  switch (code) {
    case 'invalid_signature':
      if (fields.includes('widget_id')) return t('otherWidget') + again;
      return t('tampered', { fields: fields.length ? ` (${fields.join(', ')})` : '' }) + again;
    case 'session_already_used':
      return t('used') + again;
    case 'invalid_token':
      return (fatal ? t('invalid') : t('expiredSession')) + again;
    case 'not_found':
      return t('invalid') + again;
    case 'body_too_large':
      return t('tooLarge');
    case 'unsupported_media_type':
      return t('fileType');
    case 'invalid_parameter':
    case 'validation_error':
    case 'missing_param':
      if (!fatal && fields.some((field) => field.startsWith('documents.'))) return t('missingUploads');
      if (!fatal && fields.some((field) => /^(person\.|first_name|last_name|document_number)/.test(field))) return t('checkDetails');
      return (fatal ? t('incomplete') : t('generic')) + again;
    case 'rate_limit_exceeded':
      return t('tooMany');
    case 'network_error':
      return t('offline');
    case 'not_embedded':
      return t('notEmbedded');
    case 'quote_required':
      return t('quoteRequired');
    case 'payment_in_progress':
      return t('inProgress');
    case 'payment_attempts_exhausted':
      return t('exhausted');
    case 'transaction_not_pending':
    case 'deposit_received':
    case 'payout_in_progress':
    case 'kyc_already_verified':
    case 'kyc_in_progress':
      return t('moved');
    case 'amount_out_of_range': {
      const range = details[0]?.issue.match(/allowed ([0-9.]+)\D+([0-9.]+)/);
      return range ? t('range', { min: range[1]!, max: range[2]! }) : t('generic');
    }
    case 'upstream_unavailable':
      return t('upstream');
    default:
      return t('generic') + again;
  }
}
