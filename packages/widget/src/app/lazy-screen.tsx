import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { defineText, useText } from './i18n.ts';
import { Button, Waiting } from './ui.tsx';

const text = defineText({
  en: { loading: 'Loading…', failed: 'This step could not be loaded.', retry: 'Try again' },
  fr: { loading: 'Chargement…', failed: "Cette étape n'a pas pu être chargée.", retry: 'Réessayer' },
  es: { loading: 'Cargando…', failed: 'No se pudo cargar este paso.', retry: 'Reintentar' },
});

/**
 * A screen whose code loads when it is first reached (the camera, card and deposit steps stay out of
 * the initial download). A failed load (network lost) offers a retry.
 */
export function lazyScreen(load: () => Promise<{ default: ComponentType }>): ComponentType {
  let loaded: ComponentType | null = null;
  return function LazyScreen() {
    const t = useText(text);
    const [screen, setScreen] = useState<{ component: ComponentType | null; failed: boolean }>({ component: loaded, failed: false });
    const [attempt, setAttempt] = useState(0);
    useEffect(() => {
      if (loaded) return;
      load().then(
        (module) => {
          loaded = module.default;
          setScreen({ component: loaded, failed: false });
        },
        () => setScreen({ component: null, failed: true }),
      );
    }, [attempt]);
    if (screen.component) return <screen.component />;
    if (!screen.failed) return <Waiting label={t('loading')} />;
    return (
      <div class="screen">
        <p role="alert" class="error">
          {t('failed')}
        </p>
        <Button onClick={() => setAttempt((n) => n + 1)}>{t('retry')}</Button>
      </div>
    );
  };
}
