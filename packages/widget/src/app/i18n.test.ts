import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { LANGUAGES, pickLanguage, translate } from './i18n.ts';

/** Every text a module defines, caught as the modules below are imported. */
const defined = vi.hoisted(() => [] as Record<string, Record<string, string>>[]);
vi.mock('./i18n.ts', async (original) => {
  const actual = await original<typeof import('./i18n.ts')>();
  return {
    ...actual,
    defineText: (text: Record<string, Record<string, string>>) => {
      defined.push(text);
      return text;
    },
  };
});

const APP = fileURLToPath(new URL('.', import.meta.url));

/** The app's modules (main.tsx starts the app when imported, tests are not modules of it). */
function appModules(folder = APP): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return appModules(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$|\.d\.ts$/.test(entry.name) && path !== join(APP, 'main.tsx') ? [path] : [];
  });
}

describe('pickLanguage', () => {
  it('takes the first language it knows, by its base tag, in any case', () => {
    expect(pickLanguage('fr-CA')).toBe('fr');
    expect(pickLanguage('ES')).toBe('es');
    expect(pickLanguage('es_MX')).toBe('es');
    expect(pickLanguage('en-GB')).toBe('en');
    expect(pickLanguage('de', 'fr-FR')).toBe('fr');
    expect(pickLanguage(null, undefined, '', 'es')).toBe('es');
  });

  it('falls back to English', () => {
    expect(pickLanguage('de')).toBe('en');
    expect(pickLanguage('zz-ZZ', 'xx')).toBe('en');
    expect(pickLanguage()).toBe('en');
    expect(pickLanguage(null, undefined)).toBe('en');
  });
});

describe('translate', () => {
  const text = {
    en: { hello: 'Hello {name}, {name}!', plain: 'Plain', count: '{n} of {required}' },
    fr: { hello: 'Bonjour {name}, {name} !', plain: 'Simple', count: '{n} sur {required}' },
    es: { hello: 'Hola {name}, ¡{name}!', plain: 'Sencillo', count: '{n} de {required}' },
  };

  it('replaces every {name} by its value, in the chosen language', () => {
    expect(translate(text, 'en')('hello', { name: 'Ada' })).toBe('Hello Ada, Ada!');
    expect(translate(text, 'fr')('hello', { name: 'Ada' })).toBe('Bonjour Ada, Ada !');
    expect(translate(text, 'es')('count', { n: 1, required: 2 })).toBe('1 de 2');
  });

  it('leaves an unknown {name} and a text without values as they are', () => {
    expect(translate(text, 'en')('hello', { other: 'x' })).toBe('Hello {name}, {name}!');
    expect(translate(text, 'en')('hello')).toBe('Hello {name}, {name}!');
    expect(translate(text, 'fr')('plain')).toBe('Simple');
  });

  it('does not read a replacement as a pattern', () => {
    expect(translate(text, 'en')('hello', { name: '$& $1 {name}' })).toBe('Hello $& $1 {name}, $& $1 {name}!');
  });
});

describe('every text in every language', () => {
  it('has the same keys and the same {placeholders} in en, fr and es, in every module of the app', async () => {
    const modules = appModules();
    const withText = modules.filter((path) => readFileSync(path, 'utf8').includes('defineText({'));
    for (const path of modules) await import(path);
    expect(withText.length).toBeGreaterThanOrEqual(5);
    expect(defined.length).toBe(withText.length);
    for (const text of defined) {
      expect(Object.keys(text).sort()).toEqual([...LANGUAGES].sort());
      const keys = Object.keys(text.en!).sort();
      for (const language of LANGUAGES) {
        expect(Object.keys(text[language]!).sort(), `${language} of the text with "${keys[0]}"`).toEqual(keys);
        for (const key of keys) {
          const value = text[language]![key]!;
          expect(value.trim(), `${language}.${key}`).not.toBe('');
          const names = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
          expect(names(value), `{placeholders} of ${language}.${key}`).toEqual(names(text.en![key]!));
        }
      }
    }
  });

  it('the error texts in particular', async () => {
    await import('./error-text.ts');
    const errors = defined.find((text) => 'tooMany' in text.en!);
    expect(errors).toBeDefined();
    for (const language of LANGUAGES) expect(Object.keys(errors![language]!).sort()).toEqual(Object.keys(errors!.en!).sort());
  });
});
