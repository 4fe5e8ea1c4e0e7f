import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/**
 * The widget's languages. Each screen keeps its own words beside it (a lazily loaded step brings its
 * own), written for every language: `defineText` fails to type-check when one misses a key.
 */
export const LANGUAGES = ['en', 'fr', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The language for `lang` (as given by the partner: "fr", "fr-CA", "ES"), else the browser's, else English. */
export function pickLanguage(...wanted: (string | null | undefined)[]): Language {
  for (const tag of wanted) {
    const base = tag?.toLowerCase().split(/[-_]/)[0];
    if (base && (LANGUAGES as readonly string[]).includes(base)) return base as Language;
  }
  return 'en';
}

export type Words<K extends string> = Record<K, string>;

/** One screen's words in every language; English decides the keys. */
export function defineText<K extends string>(text: { en: Words<K> } & Record<Exclude<Language, 'en'>, Words<K>>) {
  return text;
}

export const LanguageContext = createContext<Language>('en');

export type Translate<K extends string> = (key: K, values?: Record<string, string | number>) => string;

/** `t(key, {name: value})`: the word in the widget's language, `{name}` replaced by its value. */
export function translate<K extends string>(text: Record<Language, Words<K>>, language: Language): Translate<K> {
  return (key, values) => {
    const template = text[language][key] ?? text.en[key];
    return values ? template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole)) : template;
  };
}

export function useText<K extends string>(text: Record<Language, Words<K>>): Translate<K> {
  return translate(text, useContext(LanguageContext));
}
