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
});
