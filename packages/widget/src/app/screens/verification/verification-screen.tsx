import { useEffect, useRef, useState } from 'preact/hooks';
import { defineText, type Translate, useText } from '../../i18n.ts';
import { ErrorNote, Screen, useAction, useEmbedState, useSession, Waiting } from '../../ui.tsx';
import { type CameraProblem, CameraView } from './camera.tsx';
import {
  acceptAttribute,
  checkUpload,
  DOCUMENT_NUMBER_MAX,
  DOCUMENT_TYPES,
  type DocumentType,
  HEAD_BYTES,
  isDocumentType,
  MAX_UPLOAD_BYTES,
  type Missing,
  megabytes,
  missingForSubmit,
  NAME_MAX,
  neededSides,
  type PersonInput,
  reasonOf,
  type Side,
  sniffContentType,
  submitBody,
} from './kyc-rules.ts';

const text = defineText({
  en: {
    title: 'Verify your identity',
    intro: 'We need a photo of an identity document and a selfie. They are stored encrypted and used only to check your identity.',
    documentType: 'Document',
    passport: 'Passport',
    national_id: 'National identity card',
    driving_licence: 'Driving licence',
    firstName: 'First name',
    lastName: 'Last name',
    documentNumber: 'Document number',
    optional: '(optional)',
    asOnDocument: 'As written on the document.',
    frontPassport: 'Passport photo page',
    front: 'Front of the card',
    back: 'Back of the card',
    selfie: 'Selfie',
    documentHint: 'A sharp photo or scan where all four corners and the text can be read. JPEG, PNG or PDF, up to {max}.',
    selfieHint: 'A photo of your face, looking at the camera, in good light. JPEG or PNG, up to {max}.',
    chooseFile: 'Choose a photo or PDF',
    choosePhoto: 'Or choose a photo',
    useCamera: 'Use camera',
    uploading: 'Uploading…',
    uploaded: 'Uploaded',
    previewOf: 'Preview: {side}',
    pdfChosen: 'PDF chosen: {name}',
    empty: 'This file is empty. Choose another one.',
    tooLarge: 'This file is larger than {max}. Choose a smaller one.',
    wrongDocumentType: 'This file is not a JPEG or PNG photo or a PDF. Choose another one.',
    wrongSelfieType: 'The selfie must be a JPEG or PNG photo.',
    camera_unsupported: 'This browser cannot use the camera here. Choose a file instead.',
    camera_denied: 'Camera access was refused. Allow it in your browser settings, or choose a file instead.',
    camera_no_camera: 'No camera was found. Choose a file instead.',
    camera_failed: 'The camera could not be started. Choose a file instead.',
    stillNeeded: 'Still needed: {items}.',
    missing_first_name: 'first name',
    missing_last_name: 'last name',
    missing_document_number: 'a valid document number',
    missing_front: 'the front',
    missing_back: 'the back',
    missing_selfie: 'the selfie',
    submit: 'Submit for verification',
    resubmit: 'We need new photos. {reason} Upload them again, then submit.',
    failedBefore: 'Your last verification was declined. {reason} You can try again.',
    reason_blurry_image: 'The photos were too blurry to read.',
    reason_glare: 'Light reflections hid part of the document.',
    reason_document_expired: 'The document has expired: use a valid one.',
    reason_document_unreadable: 'The document could not be read.',
    reason_document_incomplete: 'Part of the document was cut off.',
    reason_unsupported_document: 'This kind of document is not accepted: use another one.',
    reason_face_mismatch: 'The selfie did not match the photo on the document.',
    reason_selfie_unclear: 'Your face could not be seen clearly in the selfie.',
    reason_other: 'The photos could not be checked.',
    pendingTitle: 'Checking your identity',
    checking: 'We are checking your identity',
    checkingNote: 'This usually takes a few seconds. The next step opens by itself: there is nothing more to do.',
  },
  fr: {
    title: 'Vérifiez votre identité',
    intro:
      "Il nous faut une photo d'une pièce d'identité et un selfie. Ils sont conservés chiffrés et servent uniquement à vérifier votre identité.",
    documentType: 'Document',
    passport: 'Passeport',
    national_id: "Carte nationale d'identité",
    driving_licence: 'Permis de conduire',
    firstName: 'Prénom',
    lastName: 'Nom',
    documentNumber: 'Numéro du document',
    optional: '(facultatif)',
    asOnDocument: 'Tels qu’écrits sur le document.',
    frontPassport: 'Page photo du passeport',
    front: 'Recto de la carte',
    back: 'Verso de la carte',
    selfie: 'Selfie',
    documentHint: 'Une photo ou un scan net où les quatre coins et le texte sont lisibles. JPEG, PNG ou PDF, {max} au plus.',
    selfieHint: 'Une photo de votre visage, face à la caméra, bien éclairée. JPEG ou PNG, {max} au plus.',
    chooseFile: 'Choisir une photo ou un PDF',
    choosePhoto: 'Ou choisir une photo',
    useCamera: 'Utiliser la caméra',
    uploading: 'Envoi en cours…',
    uploaded: 'Envoyé',
    previewOf: 'Aperçu : {side}',
    pdfChosen: 'PDF choisi : {name}',
    empty: 'Ce fichier est vide. Choisissez-en un autre.',
    tooLarge: 'Ce fichier dépasse {max}. Choisissez-en un plus petit.',
    wrongDocumentType: "Ce fichier n'est ni une photo JPEG ou PNG, ni un PDF. Choisissez-en un autre.",
    wrongSelfieType: 'Le selfie doit être une photo JPEG ou PNG.',
    camera_unsupported: 'Ce navigateur ne peut pas utiliser la caméra ici. Choisissez plutôt un fichier.',
    camera_denied: "L'accès à la caméra a été refusé. Autorisez-le dans les réglages du navigateur, ou choisissez un fichier.",
    camera_no_camera: 'Aucune caméra trouvée. Choisissez plutôt un fichier.',
    camera_failed: "La caméra n'a pas pu démarrer. Choisissez plutôt un fichier.",
    stillNeeded: 'Il manque encore : {items}.',
    missing_first_name: 'le prénom',
    missing_last_name: 'le nom',
    missing_document_number: 'un numéro de document valide',
    missing_front: 'le recto',
    missing_back: 'le verso',
    missing_selfie: 'le selfie',
    submit: 'Envoyer pour vérification',
    resubmit: 'Il nous faut de nouvelles photos. {reason} Envoyez-les à nouveau, puis validez.',
    failedBefore: 'Votre dernière vérification a été refusée. {reason} Vous pouvez réessayer.',
    reason_blurry_image: 'Les photos étaient trop floues pour être lues.',
    reason_glare: 'Des reflets masquaient une partie du document.',
    reason_document_expired: 'Le document a expiré : utilisez-en un valide.',
    reason_document_unreadable: "Le document n'a pas pu être lu.",
    reason_document_incomplete: 'Une partie du document était coupée.',
    reason_unsupported_document: "Ce type de document n'est pas accepté : utilisez-en un autre.",
    reason_face_mismatch: 'Le selfie ne correspondait pas à la photo du document.',
    reason_selfie_unclear: 'Votre visage ne se voyait pas clairement sur le selfie.',
    reason_other: "Les photos n'ont pas pu être vérifiées.",
    pendingTitle: 'Vérification de votre identité',
    checking: 'Nous vérifions votre identité',
    checkingNote: "Cela prend en général quelques secondes. L'étape suivante s'ouvrira d'elle-même : vous n'avez rien d'autre à faire.",
  },
  es: {
    title: 'Verifique su identidad',
    intro: 'Necesitamos una foto de un documento de identidad y un selfie. Se guardan cifrados y solo se usan para comprobar su identidad.',
    documentType: 'Documento',
    passport: 'Pasaporte',
    national_id: 'Documento nacional de identidad',
    driving_licence: 'Permiso de conducir',
    firstName: 'Nombre',
    lastName: 'Apellidos',
    documentNumber: 'Número del documento',
    optional: '(opcional)',
    asOnDocument: 'Tal como figuran en el documento.',
    frontPassport: 'Página de la foto del pasaporte',
    front: 'Anverso de la tarjeta',
    back: 'Reverso de la tarjeta',
    selfie: 'Selfie',
    documentHint: 'Una foto o un escaneo nítido en el que se lean las cuatro esquinas y el texto. JPEG, PNG o PDF, hasta {max}.',
    selfieHint: 'Una foto de su cara, mirando a la cámara y con buena luz. JPEG o PNG, hasta {max}.',
    chooseFile: 'Elegir una foto o un PDF',
    choosePhoto: 'O elegir una foto',
    useCamera: 'Usar la cámara',
    uploading: 'Subiendo…',
    uploaded: 'Subido',
    previewOf: 'Vista previa: {side}',
    pdfChosen: 'PDF elegido: {name}',
    empty: 'Este archivo está vacío. Elija otro.',
    tooLarge: 'Este archivo supera {max}. Elija uno más pequeño.',
    wrongDocumentType: 'Este archivo no es una foto JPEG o PNG ni un PDF. Elija otro.',
    wrongSelfieType: 'El selfie debe ser una foto JPEG o PNG.',
    camera_unsupported: 'Este navegador no puede usar la cámara aquí. Elija un archivo.',
    camera_denied: 'Se denegó el acceso a la cámara. Permítalo en los ajustes del navegador o elija un archivo.',
    camera_no_camera: 'No se encontró ninguna cámara. Elija un archivo.',
    camera_failed: 'No se pudo iniciar la cámara. Elija un archivo.',
    stillNeeded: 'Falta todavía: {items}.',
    missing_first_name: 'el nombre',
    missing_last_name: 'los apellidos',
    missing_document_number: 'un número de documento válido',
    missing_front: 'el anverso',
    missing_back: 'el reverso',
    missing_selfie: 'el selfie',
    submit: 'Enviar para verificación',
    resubmit: 'Necesitamos fotos nuevas. {reason} Vuelva a subirlas y envíelas.',
    failedBefore: 'Su última verificación fue rechazada. {reason} Puede volver a intentarlo.',
    reason_blurry_image: 'Las fotos estaban demasiado borrosas para leerlas.',
    reason_glare: 'Los reflejos ocultaban parte del documento.',
    reason_document_expired: 'El documento ha caducado: use uno vigente.',
    reason_document_unreadable: 'No se pudo leer el documento.',
    reason_document_incomplete: 'Parte del documento quedó cortada.',
    reason_unsupported_document: 'Este tipo de documento no se acepta: use otro.',
    reason_face_mismatch: 'El selfie no coincidía con la foto del documento.',
    reason_selfie_unclear: 'No se veía bien su cara en el selfie.',
    reason_other: 'No se pudieron comprobar las fotos.',
    pendingTitle: 'Comprobando su identidad',
    checking: 'Estamos comprobando su identidad',
    checkingNote: 'Suele tardar unos segundos. El siguiente paso se abrirá solo: no tiene que hacer nada más.',
  },
});

type Words = Translate<keyof (typeof text)['en']>;

interface Details extends PersonInput {
  documentType: DocumentType;
}

/**
 * The identity step (next_step `verification`, then `verification_pending`): the document type, the
 * name as written on it, each needed side and the selfie (a file, or a photo from the camera),
 * uploaded as soon as chosen, then Submit. While the verifier decides, a waiting view; the live
 * state moves the widget on. The typed details stay across a resubmission request.
 */
export default function VerificationScreen() {
  const state = useEmbedState();
  const [details, setDetails] = useState<Details>({ documentType: 'passport', firstName: '', lastName: '', documentNumber: '' });
  if (state.next_step === 'verification_pending') return <PendingView />;
  return <VerificationForm details={details} onDetails={setDetails} />;
}

function PendingView() {
  const t = useText(text);
  return (
    <Screen title={t('pendingTitle')} step="verification_pending">
      <Waiting label={t('checking')} />
      <p class="muted">{t('checkingNote')}</p>
    </Screen>
  );
}

function VerificationForm({ details, onDetails }: { details: Details; onDetails: (details: Details) => void }) {
  const state = useEmbedState();
  const session = useSession();
  const t = useText(text);
  const action = useAction();
  const [camera, setCamera] = useState<Side | null>(null);
  const [uploading, setUploading] = useState<Side[]>([]);
  const { verification } = state;
  const uploaded = verification.uploaded;
  const sides = neededSides(details.documentType);
  const missing = missingForSubmit(details.documentType, uploaded, details);
  const set = (change: Partial<Details>) => onDetails({ ...details, ...change });
  const busyFor = (side: Side, busy: boolean) =>
    setUploading((now) => (busy ? [...now.filter((one) => one !== side), side] : now.filter((one) => one !== side)));

  const submit = () =>
    action.run(async () => {
      if (missing.length > 0 || uploading.length > 0) return;
      await session.act('/kyc/submit', submitBody(details.documentType, details));
    });

  const resubmitReason = verification.resubmit_reason;
  const failureReason = verification.status === 'failed' ? verification.failure_reason : undefined;
  return (
    <Screen title={t('title')} step="verification">
      {resubmitReason ? (
        <p class="error" role="alert" data-reason={resubmitReason}>
          {t('resubmit', { reason: t(`reason_${reasonOf(resubmitReason)}`) })}
        </p>
      ) : null}
      {failureReason ? (
        <p class="notice" data-reason={failureReason}>
          {t('failedBefore', { reason: t(`reason_${reasonOf(failureReason)}`) })}
        </p>
      ) : null}
      <p class="muted">{t('intro')}</p>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div class="field">
          <label for="document-type">{t('documentType')}</label>
          <select
            id="document-type"
            name="document_type"
            value={details.documentType}
            onChange={(event) => {
              const value = (event.target as HTMLSelectElement).value;
              if (isDocumentType(value)) set({ documentType: value });
            }}
          >
            {DOCUMENT_TYPES.map((type) => (
              <option key={type} value={type}>
                {t(type)}
              </option>
            ))}
          </select>
        </div>
        <p class="muted" id="names-hint">
          {t('asOnDocument')}
        </p>
        <div class="field">
          <label for="first-name">{t('firstName')}</label>
          <input
            id="first-name"
            name="first_name"
            autoComplete="given-name"
            maxLength={NAME_MAX}
            required
            aria-describedby="names-hint"
            value={details.firstName}
            onInput={(event) => set({ firstName: (event.target as HTMLInputElement).value })}
          />
        </div>
        <div class="field">
          <label for="last-name">{t('lastName')}</label>
          <input
            id="last-name"
            name="last_name"
            autoComplete="family-name"
            maxLength={NAME_MAX}
            required
            aria-describedby="names-hint"
            value={details.lastName}
            onInput={(event) => set({ lastName: (event.target as HTMLInputElement).value })}
          />
        </div>
        <div class="field">
          <label for="document-number">
            {t('documentNumber')} <span class="muted">{t('optional')}</span>
          </label>
          <input
            id="document-number"
            name="document_number"
            autoComplete="off"
            maxLength={DOCUMENT_NUMBER_MAX}
            aria-invalid={missing.includes('document_number')}
            value={details.documentNumber}
            onInput={(event) => set({ documentNumber: (event.target as HTMLInputElement).value })}
          />
        </div>
        {sides.map((side) => (
          <SideUpload
            key={side}
            side={side}
            title={side === 'front' && details.documentType === 'passport' ? t('frontPassport') : t(side)}
            uploaded={uploaded.includes(side)}
            cameraOpen={camera === side}
            onCamera={(open) => setCamera(open ? side : null)}
            onBusy={(busy) => busyFor(side, busy)}
            t={t}
          />
        ))}
        {missing.length > 0 ? (
          <p class="muted" id="kyc-submit-hint">
            {t('stillNeeded', { items: missing.map((item: Missing) => t(`missing_${item}`)).join(', ') })}
          </p>
        ) : null}
        <ErrorNote message={action.error} code={action.code} />
        <button
          type="submit"
          id="kyc-submit"
          class="button primary"
          aria-busy={action.busy}
          aria-describedby={missing.length > 0 ? 'kyc-submit-hint' : undefined}
          disabled={action.busy || missing.length > 0 || uploading.length > 0}
        >
          {action.busy ? <span class="spinner" aria-hidden="true" /> : null}
          {t('submit')}
        </button>
      </form>
    </Screen>
  );
}

/**
 * One side (or the selfie): a file picker and a camera button, the photo's preview, "Uploaded ✓" once
 * the platform has it (also after a reload: the state lists the uploaded sides), and why a file was
 * refused. A chosen file is checked here (size, type from its first bytes), then uploaded at once.
 */
function SideUpload({
  side,
  title,
  uploaded,
  cameraOpen,
  onCamera,
  onBusy,
  t,
}: {
  side: Side;
  title: string;
  uploaded: boolean;
  cameraOpen: boolean;
  onCamera: (open: boolean) => void;
  onBusy: (busy: boolean) => void;
  t: Words;
}) {
  const session = useSession();
  const action = useAction();
  const [preview, setPreview] = useState<{ url: string | null; name: string } | null>(null);
  const [cameraProblem, setCameraProblem] = useState<CameraProblem | null>(null);
  const wasOpen = useRef(cameraOpen);
  const latest = useRef(0);
  const [inFlight, setInFlight] = useState(0);
  const uploading = inFlight > 0;
  const selfie = side === 'selfie';
  const errorId = `file-${side}-error`;
  const hintId = `file-${side}-hint`;
  const problemId = `camera-${side}-problem`;

  // A preview's object URL lives as long as it is shown: revoked when replaced and when the side goes away.
  useEffect(() => {
    const url = preview?.url;
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [preview?.url]);

  useEffect(() => onBusy(uploading), [uploading]);
  // A side hidden mid-upload (another document type chosen) holds Submit back no longer.
  useEffect(() => () => onBusy(false), []);

  // Closing the camera brings the keyboard back to the button that opened it.
  useEffect(() => {
    if (wasOpen.current && !cameraOpen) document.getElementById(`camera-${side}`)?.focus({ preventScroll: true });
    wasOpen.current = cameraOpen;
  }, [cameraOpen]);

  const upload = (file: Blob, name: string) => {
    // A newer pick of the same side supersedes this one: an older pick's outcome no longer shows.
    const mine = ++latest.current;
    const current = () => mine === latest.current;
    return action.run(async () => {
      const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
      if (!current()) return;
      const problem = checkUpload(side, file, head);
      if (problem) {
        const max = megabytes(MAX_UPLOAD_BYTES);
        action.setError(
          problem === 'empty'
            ? t('empty')
            : problem === 'too_large'
              ? t('tooLarge', { max })
              : t(selfie ? 'wrongSelfieType' : 'wrongDocumentType'),
        );
        return;
      }
      const isImage = sniffContentType(head) !== 'application/pdf';
      setPreview({ url: isImage ? URL.createObjectURL(file) : null, name });
      setInFlight((count) => count + 1);
      try {
        await session.act(`/kyc/documents/${side}`, file, 'PUT');
      } catch (error) {
        if (!current()) return;
        setPreview(null);
        throw error;
      } finally {
        setInFlight((count) => count - 1);
      }
    });
  };

  const cameraButton = (
    <button
      type="button"
      id={`camera-${side}`}
      class={`button ${selfie ? 'primary' : 'secondary'}`}
      aria-describedby={cameraProblem ? problemId : undefined}
      onClick={() => {
        setCameraProblem(null);
        onCamera(true);
      }}
    >
      {t('useCamera')}
      <span class="visually-hidden">: {title}</span>
    </button>
  );
  const picker = (
    <div class="field">
      <label for={`file-${side}`}>
        {t(selfie ? 'choosePhoto' : 'chooseFile')}
        <span class="visually-hidden">: {title}</span>
      </label>
      <input
        type="file"
        id={`file-${side}`}
        name={side}
        accept={acceptAttribute(side)}
        aria-invalid={action.error ? true : undefined}
        aria-describedby={action.error ? `${hintId} ${errorId}` : hintId}
        onChange={(event) => {
          const input = event.target as HTMLInputElement;
          const file = input.files?.[0];
          // Cleared, so choosing the same file again (after a failed upload, say) picks it again.
          input.value = '';
          if (file) void upload(file, file.name);
        }}
      />
    </div>
  );

  return (
    <fieldset class="upload" data-side={side}>
      <legend>{title}</legend>
      <p class="muted" id={hintId}>
        {t(selfie ? 'selfieHint' : 'documentHint', { max: megabytes(MAX_UPLOAD_BYTES) })}
      </p>
      {cameraOpen ? (
        <CameraView
          facing={selfie ? 'user' : 'environment'}
          onCancel={() => onCamera(false)}
          onProblem={(problem) => {
            setCameraProblem(problem);
            onCamera(false);
          }}
          onCapture={(photo) => {
            onCamera(false);
            void upload(photo, `${side}.jpg`);
          }}
        />
      ) : null}
      {selfie ? (
        <>
          {cameraOpen ? null : cameraButton}
          {picker}
        </>
      ) : (
        <>
          {picker}
          {cameraOpen ? null : cameraButton}
        </>
      )}
      {cameraProblem ? (
        <p class="error" role="alert" id={problemId}>
          {t(`camera_${cameraProblem}`)}
        </p>
      ) : null}
      {preview?.url ? <img class="preview" src={preview.url} alt={t('previewOf', { side: title })} /> : null}
      {preview && !preview.url ? <p class="muted">{t('pdfChosen', { name: preview.name })}</p> : null}
      {uploading ? <Waiting label={t('uploading')} /> : null}
      {uploaded && !uploading ? (
        <p class="ok" data-uploaded={side}>
          {t('uploaded')} <span aria-hidden="true">✓</span>
        </p>
      ) : null}
      <div id={errorId}>
        <ErrorNote message={action.error} code={action.code} />
      </div>
    </fieldset>
  );
}
