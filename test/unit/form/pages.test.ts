import { describe, expect, it } from 'vitest';
import { PAGE_TEXT } from '../../../shared/domain/form/i18n.ts';
import { acknowledged, acknowledgePrompt } from '../../../shared/domain/templates/acknowledge-pages.ts';
import { MAX_ITEMS, parseInstrumentDefinition } from '../../../shared/domain/form/instrument-definition.ts';
import { renderFormPage, renderMessagePage, renderOptOutPage } from '../../../shared/domain/form/pages.ts';
import { parseFeedbackForm } from '../../../shared/domain/form/parse-form.ts';
import { DEFAULT_INSTRUMENT, type Instrument } from '../../../shared/domain/instruments.ts';
import { SUPPORTED_LOCALES, type Locale } from '../../../shared/events/contracts.ts';

const PAGE_BUDGET_BYTES = 15 * 1024;
const PRACTICE = 'Riverside Counselling';

function bytes(page: string): number {
  return Buffer.byteLength(page, 'utf8');
}

function count(page: string, pattern: RegExp): number {
  return page.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** Every id is unique, and every reference (`href="#…"`, `for`, `aria-describedby`) points at one. */
function expectConsistentIds(page: string): void {
  const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  expect(new Set(ids).size).toBe(ids.length);
  const references = [
    ...[...page.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]),
    ...[...page.matchAll(/\sfor="([^"]+)"/g)].map((m) => m[1]),
    ...[...page.matchAll(/aria-describedby="([^"]+)"/g)].flatMap((m) => m[1]!.split(' ')),
  ];
  for (const reference of references) expect(ids).toContain(reference);
}

function rejected(post: string, locale: Locale, instrument: Instrument = DEFAULT_INSTRUMENT): string {
  const parsed = parseFeedbackForm(post, instrument);
  if (parsed.ok) throw new Error('expected a rejected post');
  return renderFormPage({ locale, practiceName: PRACTICE, instrument, errors: parsed.errors, values: parsed.values });
}

/** The largest form configuration allows: most items, most choices, longest texts. */
function largestInstrument(): Instrument {
  const text = (n: number) => ({ en: 'W'.repeat(n), es: 'Ñ'.repeat(n) });
  const parsed = parseInstrumentDefinition(
    JSON.stringify({
      id: 'largest',
      version: 1,
      name: text(80),
      min: 0,
      max: 10,
      items: Array.from({ length: MAX_ITEMS }, (_, i) => ({
        id: `item-${i}-${'x'.repeat(9)}`,
        component: 'overall',
        shortLabel: text(40),
        question: text(160),
        anchors: { en: { min: 'm'.repeat(24), max: 'M'.repeat(24) }, es: { min: 'ñ'.repeat(24), max: 'Ñ'.repeat(24) } },
      })),
    }),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.instrument;
}

describe.each(SUPPORTED_LOCALES)('the form in %s', (locale) => {
  const page = renderFormPage({ locale, practiceName: PRACTICE, instrument: DEFAULT_INSTRUMENT });
  const text = PAGE_TEXT[locale];

  it('is a complete document in the client’s language with one h1 and no script', () => {
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain(`<html lang="${locale}">`);
    expect(count(page, /<h1>/)).toBe(1);
    expect(page).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
  });

  it('makes no request anywhere: no external URL, no link, image or font', () => {
    expect(page).not.toMatch(/https?:\/\/|<link|<img|@import|url\(/i);
    expect(page).not.toMatch(/\sstyle="/);
  });

  it('puts each item in a fieldset with its question as the legend', () => {
    expect(count(page, /<fieldset/)).toBe(DEFAULT_INSTRUMENT.items.length);
    for (const item of DEFAULT_INSTRUMENT.items) {
      expect(page).toMatch(new RegExp(`<legend><span>[^<]+</span> ${item.question[locale].replace(/[.?()/]/g, '\\$&')}</legend>`));
    }
  });

  it('offers eleven labelled choices per item, the ends announced with their anchors', () => {
    for (const item of DEFAULT_INSTRUMENT.items) {
      const radios = [...page.matchAll(new RegExp(`<label><input type="radio"[^>]* name="${item.id}" value="(\\d+)"[^>]*>(.*?)</label>`, 'g'))];
      expect(radios.map((m) => m[1])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
      expect(radios[0]![2]).toBe(`0<span class="vh"> – ${item.anchors[locale].min}</span>`);
      expect(radios[10]![2]).toBe(`10<span class="vh"> – ${item.anchors[locale].max}</span>`);
      expect(page).toContain(`id="${item.id}-hint">0 = ${item.anchors[locale].min}, 10 = ${item.anchors[locale].max}</p>`);
    }
  });

  it('labels the comment with its limit and the talk box with its wording', () => {
    expect(page).toContain(`<label class="block" for="comment">${text.commentLabel} ${text.optional}</label>`);
    expect(page).toContain('maxlength="2000"');
    expect(page).toMatch(/2[,.]?000/);
    expect(page).toContain(`value="yes" aria-describedby="talk-hint"><span>${text.talkLabel}</span></label>`);
  });

  it('says who sees the answers', () => {
    expect(page).toContain(text.privacy);
  });

  it('stays under 15 KB', () => {
    expect(bytes(page)).toBeLessThan(PAGE_BUDGET_BYTES);
  });

  it('has consistent ids and references', () => {
    expectConsistentIds(page);
  });
});

describe.each(SUPPORTED_LOCALES)('the form after a rejected post, in %s', (locale) => {
  const page = rejected('relationship=4&goals=11&comment=%3C%2Ftextarea%3E%3Cb%3Ehi&talk=yes', locale);
  const text = PAGE_TEXT[locale];

  it('starts with an error summary that links to each field in error, focused on load', () => {
    expect(page).toContain(`<title>${text.errorTitlePrefix}`);
    expect(page).toContain(`<div class="summary" role="alert" tabindex="-1" autofocus>\n<h2>${text.errorSummaryTitle}</h2>`);
    expect([...page.matchAll(/<li><a href="#([^"]+)">/g)].map((m) => m[1])).toEqual(['goals', 'approach', 'overall']);
  });

  it('puts the error next to its field, described by it and marked invalid', () => {
    expect(page).toContain('<fieldset class="bad" aria-describedby="goals-hint goals-error">');
    expect(page).toContain(`<p class="err" id="goals-error"><span class="vh">${text.errorPrefix} </span>${text.errorMissing(2, 0, 10)}</p>`);
    expect(count(page, /name="goals" value="\d+" aria-invalid="true"/)).toBe(11);
    expect(page).toContain('<fieldset aria-describedby="relationship-hint">');
    expect(count(page, /name="relationship" value="\d+"( checked)? aria-invalid/)).toBe(0);
  });

  it('keeps what the client entered, escaped', () => {
    expect(page).toContain('name="relationship" value="4" checked>');
    expect(page).toContain('&lt;/textarea&gt;&lt;b&gt;hi</textarea>');
    expect(page).toContain('value="yes" aria-describedby="talk-hint" checked>');
  });

  it('marks a too-long comment with its length', () => {
    const long = rejected(`relationship=1&goals=2&approach=3&overall=4&comment=${'a'.repeat(2001)}`, locale);
    expect(long).toContain('aria-describedby="comment-hint comment-error" aria-invalid="true"');
    expect(long).toContain(text.errorTooLong(2001, 2000));
    expectConsistentIds(long);
  });

  it('stays under 15 KB and keeps its ids consistent', () => {
    expect(bytes(page)).toBeLessThan(PAGE_BUDGET_BYTES);
    expectConsistentIds(page);
  });
});

describe('escaping', () => {
  const hostile = '<script>alert(1)</script>"\'`&\u202Eevil';

  it('shows a hostile practice name as text on every page', () => {
    const pages = [
      renderFormPage({ locale: 'en', practiceName: hostile, instrument: DEFAULT_INSTRUMENT }),
      renderOptOutPage({ locale: 'es', practiceName: hostile }),
      renderMessagePage({ locale: 'en', practiceName: hostile, message: PAGE_TEXT.en.thanks }),
    ];
    for (const page of pages) {
      expect(page).not.toContain('<script>');
      expect(page).not.toContain('\u202E');
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;&amp;evil');
    }
  });

  it('shows a hostile configured instrument as text', () => {
    const parsed = parseInstrumentDefinition(
      JSON.stringify({
        ...DEFAULT_INSTRUMENT,
        id: 'hostile',
        name: { en: '</title><script>x()</script>', es: 'ok' },
        items: DEFAULT_INSTRUMENT.items.map((item) => ({
          ...item,
          question: { en: '"><img src=x onerror=alert(1)>', es: 'ok' },
          anchors: { ...item.anchors, en: { min: '<b>', max: '</label>' } },
        })),
      }),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const page = renderFormPage({ locale: 'en', practiceName: PRACTICE, instrument: parsed.instrument });
    expect(page).not.toMatch(/<script|<img|<b>/);
    expect(page).toContain('<title>&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;</title>');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</legend>');
  });
});

describe('the largest form configuration allows', () => {
  it.each(SUPPORTED_LOCALES)('stays under 15 KB in %s, even with every error shown', (locale) => {
    const instrument = largestInstrument();
    const clean = renderFormPage({ locale, practiceName: 'P'.repeat(80), instrument });
    const withErrors = rejected('talk=no', locale, instrument);
    expect(bytes(clean)).toBeLessThan(PAGE_BUDGET_BYTES);
    expect(bytes(withErrors)).toBeLessThan(PAGE_BUDGET_BYTES);
    expectConsistentIds(withErrors);
  });
});

describe.each(SUPPORTED_LOCALES)('the message pages in %s', (locale) => {
  const text = PAGE_TEXT[locale];
  const messages = [text.thanks, text.answered, text.expired, text.notFound, text.tooLarge, text.unreadable, text.notAllowed, text.unavailable, text.optedOut];

  it('each have one h1, the language, no script and stay small', () => {
    for (const message of [...messages.map((m) => renderMessagePage({ locale, practiceName: PRACTICE, message: m })), renderOptOutPage({ locale, practiceName: PRACTICE })]) {
      expect(message).toContain(`<html lang="${locale}">`);
      expect(count(message, /<h1>/)).toBe(1);
      expect(message).not.toMatch(/<script|https?:\/\//);
      expect(bytes(message)).toBeLessThan(PAGE_BUDGET_BYTES);
    }
  });

  it('gives the opt-out page a button that posts, and nothing that acts on load', () => {
    const page = renderOptOutPage({ locale, practiceName: PRACTICE });
    expect(page).toContain(`<form method="post">\n<button type="submit">${text.optOutButton}</button>\n</form>`);
    expect(page).not.toMatch(/http-equiv|autofocus/);
  });

  it('asks before it says it is done, and says after how to undo it', () => {
    const ask = text.optOut(PRACTICE);
    expect(ask.title.endsWith('?')).toBe(true);
    expect(ask.paragraphs[0]).toMatch(locale === 'es' ? /^Todavía no ha cambiado nada\. Si pulsa/ : /^Nothing has changed yet\. If you press/);
    expect(ask.paragraphs.join(' ')).not.toMatch(/^You will no longer|^Dejará de/);
    expect(text.optedOut.paragraphs.join(' ')).toMatch(locale === 'es' ? /Para deshacerlo, pida a su terapeuta o al centro/ : /To undo this, ask your therapist or the practice/);
  });
});

describe('the acknowledge pages', () => {
  const alert = { clientId: 'c-1042', kind: 'rupture', sentAt: '2026-11-25T21:00:00Z' } as const;

  it('say what acknowledging does and does not do before the button, and again after it', () => {
    const prompt = acknowledgePrompt(alert, 'UTC').paragraphs.join(' ');
    expect(prompt).toContain('records that you have seen this alert, and when');
    expect(prompt).toContain('does not contact the client, does not silence later alerts');
    expect(prompt).toContain('Opening this page recorded nothing');
    expect(acknowledged(alert, '2026-11-26T09:00:00Z', true, 'UTC').paragraphs.join(' ')).toContain('Nothing was sent to the client, and later alerts about this client still come as usual.');
  });
});
