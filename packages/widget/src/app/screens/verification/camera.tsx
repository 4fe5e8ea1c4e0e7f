import { useEffect, useRef, useState } from 'preact/hooks';
import { defineText, useText } from '../../i18n.ts';
import { Button } from '../../ui.tsx';

const text = defineText({
  en: {
    starting: 'Starting the camera…',
    take: 'Take photo',
    cancel: 'Cancel',
    preview: 'Camera preview',
  },
  fr: {
    starting: 'Démarrage de la caméra…',
    take: 'Prendre la photo',
    cancel: 'Annuler',
    preview: 'Aperçu de la caméra',
  },
  es: {
    starting: 'Iniciando la cámara…',
    take: 'Hacer la foto',
    cancel: 'Cancelar',
    preview: 'Vista previa de la cámara',
  },
});

/** Why the camera cannot be used: the screen says so and keeps the file picker. */
export type CameraProblem = 'unsupported' | 'denied' | 'no_camera' | 'failed';

/** The longest side of a captured photo: sharp enough to read a document, well under the upload limit. */
const MAX_EDGE = 2048;

/**
 * A small camera view: the live preview (getUserMedia) with "Take photo", which captures one JPEG
 * frame from a canvas, and "Cancel". The back camera is asked for documents, the front one for the
 * selfie (preferred, not required: a laptop has only one). The stream stops when the view closes.
 * Nothing is kept: the photo goes to `onCapture` only.
 */
export function CameraView({
  facing,
  onCapture,
  onCancel,
  onProblem,
}: {
  facing: 'user' | 'environment';
  onCapture: (photo: Blob) => void;
  onCancel: () => void;
  onProblem: (problem: CameraProblem) => void;
}) {
  const t = useText(text);
  const video = useRef<HTMLVideoElement>(null);
  const take = useRef<HTMLButtonElement | null>(null);
  const [ready, setReady] = useState(false);
  const [capturing, setCapturing] = useState(false);

  useEffect(() => {
    const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
    if (!devices?.getUserMedia) {
      onProblem('unsupported');
      return;
    }
    let stream: MediaStream | null = null;
    let closed = false;
    devices
      .getUserMedia({ video: { facingMode: { ideal: facing }, width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false })
      .then(async (opened) => {
        if (closed) {
          stopAll(opened);
          return;
        }
        stream = opened;
        const element = video.current;
        if (!element) return;
        element.srcObject = opened;
        await element.play().catch(() => undefined);
      })
      .catch((error: unknown) => {
        if (!closed) onProblem(problemOf(error));
      });
    // The keyboard lands in the view: on Cancel until the preview runs, then on Take photo.
    document.getElementById('camera-cancel')?.focus({ preventScroll: true });
    return () => {
      closed = true;
      if (stream) stopAll(stream);
      if (video.current) video.current.srcObject = null;
    };
  }, [facing]);

  // Once the preview runs, the keyboard moves on to Take photo.
  useEffect(() => {
    if (ready) take.current?.focus({ preventScroll: true });
  }, [ready]);

  const capture = () => {
    const element = video.current;
    if (!element?.videoWidth) return;
    const scale = Math.min(1, MAX_EDGE / Math.max(element.videoWidth, element.videoHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(element.videoWidth * scale);
    canvas.height = Math.round(element.videoHeight * scale);
    const context = canvas.getContext('2d');
    if (!context) {
      onProblem('failed');
      return;
    }
    context.drawImage(element, 0, 0, canvas.width, canvas.height);
    setCapturing(true);
    canvas.toBlob(
      (photo) => {
        setCapturing(false);
        if (photo) onCapture(photo);
        else onProblem('failed');
      },
      'image/jpeg',
      0.9,
    );
  };

  return (
    <div class="camera">
      <video
        ref={video}
        class={facing === 'user' ? 'mirrored' : undefined}
        autoplay
        muted
        playsInline
        aria-label={t('preview')}
        onLoadedMetadata={() => setReady(true)}
      />
      {ready ? null : (
        <p class="muted" role="status">
          {t('starting')}
        </p>
      )}
      <div class="row camera-actions">
        <TakeButton refTo={take} disabled={!ready} busy={capturing} onClick={capture} label={t('take')} />
        <Button kind="secondary" id="camera-cancel" onClick={onCancel}>
          {t('cancel')}
        </Button>
      </div>
    </div>
  );
}

/** The capture button, with a ref (the shared Button takes none) so it gets focus once the preview runs. */
function TakeButton({
  refTo,
  disabled,
  busy,
  onClick,
  label,
}: {
  refTo: { current: HTMLButtonElement | null };
  disabled: boolean;
  busy: boolean;
  onClick: () => void;
  label: string;
}) {
  return (
    <button
      ref={refTo}
      id="camera-take"
      class="button primary"
      type="button"
      aria-busy={busy}
      disabled={disabled || busy}
      onClick={onClick}
    >
      {busy ? <span class="spinner" aria-hidden="true" /> : null}
      {label}
    </button>
  );
}

function stopAll(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

function problemOf(error: unknown): CameraProblem {
  const name = error instanceof Error || (typeof error === 'object' && error !== null) ? (error as { name?: string }).name : undefined;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'no_camera';
  return 'failed';
}
