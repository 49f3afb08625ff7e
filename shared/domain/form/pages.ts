/**
 * The client-facing pages: the feedback form (with its errors), the opt-out page and the short
 * pages that explain a situation (thank you, already answered, expired, not found…).
 *
 * Plain server-rendered HTML: no script, no external resource, one inline stylesheet allowed by
 * hash. Every interpolated value goes through `html`, which escapes it; text from configuration
 * (practice name, instrument wording) also loses bidi controls so it cannot reorder a sentence.
 */
import type { Locale } from '../../events/contracts.ts';
import { html, stripBidiControls, type SafeHtml } from '../html.ts';
import type { Instrument, InstrumentItem } from '../instruments.ts';
import { COMMENT_MAX_LENGTH, PAGE_TEXT, type MessageText, type PageText } from './i18n.ts';
import { choices, TALK_VALUE, type FieldError, type FormValues } from './parse-form.ts';
import { PAGE_CSS } from './styles.ts';
import { pageFrame } from '../templates/page-frame.ts';

interface FormPageFrame {
  locale: Locale;
  practiceName: string;
  title: string;
  content: SafeHtml;
}

/** A client-facing page: in the client's language, with the one client-page stylesheet, from the practice. */
function frame({ locale, practiceName, title, content }: FormPageFrame): string {
  return pageFrame({ lang: locale, title, stylesheet: PAGE_CSS, byline: practiceName, content });
}

export interface FormPageInput {
  locale: Locale;
  practiceName: string;
  instrument: Instrument;
  /** What the client sent, after an error. */
  values?: FormValues | undefined;
  errors?: readonly FieldError[] | undefined;
}

/** Renders the feedback form, or after a rejected post the same form with its errors and the client's values. */
export function renderFormPage(input: FormPageInput): string {
  const text = PAGE_TEXT[input.locale];
  const { instrument, locale } = input;
  const errors = input.errors ?? [];
  const values = input.values;
  const title = stripBidiControls(instrument.name[locale]);
  const messages = new Map(errors.map((error) => [error.field, errorMessage(error, instrument, text)] as const));

  const summary =
    errors.length > 0
      ? html`<div class="summary" role="alert" tabindex="-1" autofocus>
<h2>${text.errorSummaryTitle}</h2>
<ul>${errors.map((error) => html`<li><a href="#${error.field}">${messages.get(error.field)}</a></li>`)}</ul>
</div>
`
      : '';

  const fieldsets = instrument.items.map((item, index) =>
    renderItem({ item, index, instrument, locale, text, chosen: values?.items[item.id], error: messages.get(item.id) }),
  );

  const commentError = messages.get('comment');
  const talkError = messages.get('talk');
  const talkChecked = values?.talk ?? false;
  const content = html`<h1>${title}</h1>
${summary}<p>${text.intro(stripBidiControls(input.practiceName), instrument.items.length)} ${text.privacy}</p>
<p>${text.required}</p>
<form method="post" novalidate>
${fieldsets}<div class="field${commentError ? ' bad' : ''}">
<label class="block" for="comment">${text.commentLabel} ${text.optional}</label>
<p class="hint" id="comment-hint">${text.commentHint(COMMENT_MAX_LENGTH)}</p>
${errorParagraph('comment', commentError, text)}<textarea id="comment" name="comment" rows="5" maxlength="${COMMENT_MAX_LENGTH}" aria-describedby="comment-hint${commentError ? ' comment-error' : ''}"${commentError ? html` aria-invalid="true"` : ''}>${values?.comment ?? ''}</textarea>
</div>
<div class="field${talkError ? ' bad' : ''}">
${errorParagraph('talk', talkError, text)}<label class="check"><input type="checkbox" id="talk" name="talk" value="${TALK_VALUE}" aria-describedby="talk-hint${talkError ? ' talk-error' : ''}"${talkChecked ? html` checked` : ''}${talkError ? html` aria-invalid="true"` : ''}><span>${text.talkLabel}</span></label>
<p class="hint" id="talk-hint">${text.talkHint}</p>
</div>
<button type="submit">${text.submit}</button>
</form>`;

  return frame({ locale, practiceName: input.practiceName, title: errors.length > 0 ? text.errorTitlePrefix + title : title, content });
}

function renderItem(input: {
  item: InstrumentItem;
  index: number;
  instrument: Instrument;
  locale: Locale;
  text: PageText;
  chosen: string | undefined;
  error: string | undefined;
}): SafeHtml {
  const { item, instrument, locale, text, error } = input;
  const anchors = { min: stripBidiControls(item.anchors[locale].min), max: stripBidiControls(item.anchors[locale].max) };
  const describedBy = `${item.id}-hint${error ? ` ${item.id}-error` : ''}`;
  const values = choices(instrument);
  const radios = values.map((value, position) => {
    // The anchors are part of the first and last choices' names, so a screen reader announces
    // "0 – Not at all" on the radio itself, not only in the hint read when entering the group.
    const anchor = position === 0 ? anchors.min : position === values.length - 1 ? anchors.max : undefined;
    return html`<label><input type="radio"${position === 0 ? html` id="${item.id}"` : ''} name="${item.id}" value="${value}"${value === input.chosen ? html` checked` : ''}${error ? html` aria-invalid="true"` : ''}>${value}${anchor ? html`<span class="vh"> – ${anchor}</span>` : ''}</label>`;
  });
  return html`<fieldset${error ? html` class="bad"` : ''} aria-describedby="${describedBy}">
<legend><span>${text.questionOf(input.index + 1, instrument.items.length)}</span> ${stripBidiControls(item.question[locale])}</legend>
<p class="hint" id="${item.id}-hint">${text.anchors(instrument.min, anchors.min, instrument.max, anchors.max)}</p>
${errorParagraph(item.id, error, text)}<div class="scale">${radios}</div>
</fieldset>
`;
}

function errorParagraph(field: string, message: string | undefined, text: PageText): SafeHtml | '' {
  return message ? html`<p class="err" id="${field}-error"><span class="vh">${text.errorPrefix} </span>${message}</p>\n` : '';
}

function errorMessage(error: FieldError, instrument: Instrument, text: PageText): string {
  if (error.field === 'comment') return text.errorTooLong(error.length ?? COMMENT_MAX_LENGTH + 1, COMMENT_MAX_LENGTH);
  if (error.field === 'talk') return text.errorTalk;
  const index = instrument.items.findIndex((item) => item.id === error.field);
  return text.errorMissing(index + 1, instrument.min, instrument.max);
}

export interface MessagePageInput {
  locale: Locale;
  practiceName: string;
  message: MessageText;
}

/** A page's title as its heading, then its sentences, one paragraph each. */
function messageContent(message: MessageText): SafeHtml {
  return html`<h1>${message.title}</h1>
${message.paragraphs.map((paragraph) => html`<p>${paragraph}</p>\n`)}`;
}

/** Renders a page that explains one situation in a title and a few sentences. */
export function renderMessagePage({ locale, practiceName, message }: MessagePageInput): string {
  return frame({ locale, practiceName, title: message.title, content: messageContent(message) });
}

/** Renders a page that explains one action and offers the one button (a POST to the same URL) that does it. */
export function renderActionPage({ locale, practiceName, message, button }: MessagePageInput & { button: string }): string {
  return frame({
    locale,
    practiceName,
    title: message.title,
    content: html`${messageContent(message)}<form method="post">
<button type="submit">${button}</button>
</form>`,
  });
}

/** Renders the opt-out page: what opting out means, and the one button that does it (a POST). */
export function renderOptOutPage({ locale, practiceName }: { locale: Locale; practiceName: string }): string {
  const text = PAGE_TEXT[locale];
  return renderActionPage({ locale, practiceName, message: text.optOut(stripBidiControls(practiceName)), button: text.optOutButton });
}
