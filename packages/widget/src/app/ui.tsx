import { type ComponentChildren, createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { EmbedError } from './embed-client.ts';
import type { EmbedState } from './embed-state.ts';
import { readableError } from './error-text.ts';
import { LanguageContext } from './i18n.ts';
import type { WidgetSession } from './widget-session.ts';

/**
 * What every screen shares: the session and its latest state, an action helper that shows a
 * readable error and a busy button, and the screen frame (a heading that takes focus on arrival, so
 * a screen reader announces the new step and the keyboard starts there).
 */
export const SessionContext = createContext<WidgetSession | null>(null);

export function useSession(): WidgetSession {
  return useContext(SessionContext)!;
}

/** The open state (screens are only drawn once the session is open). */
export function useEmbedState(): EmbedState {
  const session = useSession();
  const [, rerender] = useState(0);
  useEffect(() => session.subscribe(() => rerender((n) => n + 1)), [session]);
  return (session.phase as { state: EmbedState }).state;
}

/** Runs an action: `busy` while it runs, `error` (readable, in the user's language) when it fails. */
export function useAction() {
  const language = useContext(LanguageContext);
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [code, setCode] = useState<string | null>(null);
  async function run<T>(work: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    setCode(null);
    try {
      return await work();
    } catch (failure) {
      const known = failure instanceof EmbedError ? failure : new EmbedError('internal_error', String(failure));
      setError(readableError(known.code, language, known.details));
      setCode(known.code);
      if (known.status === 409) void session.refresh();
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, code, run, setError };
}

export function Screen({ title, children, step }: { title: string; step: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Focus moves to the new step's heading without scrolling the partner's page.
    heading.current?.focus({ preventScroll: true });
  }, [step]);
  return (
    <section class="screen" data-step={step} aria-labelledby="screen-title">
      <h2 id="screen-title" tabIndex={-1} ref={heading}>
        {title}
      </h2>
      {children}
    </section>
  );
}

export function ErrorNote({ message, code }: { message: string | null; code?: string | null }) {
  if (!message) return null;
  return (
    <p class="error" role="alert" data-code={code ?? undefined}>
      {message}
    </p>
  );
}

export function Button({
  children,
  busy = false,
  kind = 'primary',
  ...rest
}: {
  children: ComponentChildren;
  busy?: boolean;
  kind?: 'primary' | 'secondary' | 'link';
  type?: 'button' | 'submit';
  disabled?: boolean;
  onClick?: () => void;
  id?: string;
}) {
  return (
    <button class={`button ${kind}`} type={rest.type ?? 'button'} aria-busy={busy} {...rest} disabled={busy || rest.disabled}>
      {busy ? <span class="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

/** A spinner with a live text for screen readers. */
export function Waiting({ label }: { label: string }) {
  return (
    <p class="waiting" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** Rows of label: value, as a description list. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
