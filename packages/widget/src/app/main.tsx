import { render } from 'preact';
import { App } from './app.tsx';
import { pickLanguage } from './i18n.ts';
import { embeddedSource, HOSTED_PATH, hostedSource, type ParamsSource } from './params-source.ts';
import { WidgetSession } from './widget-session.ts';
import './styles.css';

/**
 * The widget's entry: where its parameters come from (the partner's page, or the hosted page's
 * fragment), the session's opening, then the app. Language and theme follow the parameters, then the
 * session's terms, then the browser.
 */
const root = document.getElementById('widget')!;
const source: ParamsSource | null = location.pathname === HOSTED_PATH ? hostedSource() : embeddedSource();

if (!source) {
  // Not inside the page it claims: never open anything, say why.
  document.documentElement.lang = pickLanguage(navigator.language);
  root.replaceChildren();
  const note = document.createElement('p');
  note.className = 'error';
  note.setAttribute('role', 'alert');
  note.textContent = 'This page only works inside the site that sent you here.';
  root.append(note);
} else {
  document.body.classList.toggle('hosted', source.mode === 'hosted');
  const session = new WidgetSession(source);
  let language = pickLanguage(navigator.language);
  const draw = () => render(<App session={session} language={language} />, root);
  session.subscribe(() => {
    const terms = session.phase.kind === 'open' ? session.phase.state.terms : null;
    const next = pickLanguage(session.params?.lang, terms?.lang, navigator.language);
    const theme = session.params?.theme ?? terms?.theme;
    if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
    if (next !== language) {
      language = next;
      document.documentElement.lang = next;
      draw();
    }
  });
  document.documentElement.lang = language;
  // The page's "Loading…" goes: render() draws beside what the container holds, it does not replace it.
  root.replaceChildren();
  draw();
  void session.start();
}
