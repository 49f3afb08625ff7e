import { SUPPORTED_LOCALES } from '../../../shared/events/contracts.ts';
import { describe, expect, it } from 'vitest';
import { negotiateLocale, PAGE_TEXT } from '../../../shared/domain/form/i18n.ts';

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['es-MX,es;q=0.9,en;q=0.8', 'es'],
    ['en-GB,en;q=0.9,es;q=0.8', 'en'],
    ['fr-FR,fr;q=0.9,es;q=0.5', 'es'],
    ['fr-FR', 'en'],
    ['es;q=0, en;q=0.1', 'en'],
    ['en;q=0.2, ES;q=0.8', 'es'],
    ['*;q=garbage,,;;', 'en'],
  ])('reads %j as %s', (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });
});

describe('PAGE_TEXT', () => {
  it('words the talk box as the product does', () => {
    expect(PAGE_TEXT.en.talkLabel).toBe('I’d like to talk about how therapy is going');
    expect(PAGE_TEXT.es.talkLabel).toBe('Me gustaría hablar de cómo va la terapia');
  });

  it('has every string in both languages, and they differ', () => {
    expect(Object.keys(PAGE_TEXT.es).sort()).toEqual(Object.keys(PAGE_TEXT.en).sort());
    expect(PAGE_TEXT.es.thanks.title).not.toBe(PAGE_TEXT.en.thanks.title);
  });

  it.each(SUPPORTED_LOCALES)('the thank-you page (%s) says what happens to the answers, and promises no reading time', (locale) => {
    const thanks = PAGE_TEXT[locale].thanks.paragraphs.join(' ');
    const says = {
      en: ['saved for your therapist', 'page that shows your answers over time', 'also gets an alert', 'may not read them straight away'],
      es: ['guardado para su terapeuta', 'página que muestra sus respuestas', 'recibe además un aviso', 'no las lea enseguida'],
    }[locale];
    for (const words of says) expect(thanks).toContain(words);
    // The old wording claimed the answers were sent, which by default was not true of a comment.
    expect(thanks).not.toMatch(/have been sent|se han enviado/);
    // The weekly digest only says that a comment waits (and a therapist can turn it off): no promise it shows them.
    expect(thanks).not.toMatch(/weekly summary|resumen semanal/);
  });
});
