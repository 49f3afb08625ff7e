/**
 * Every word the client-facing pages show, in English and Spanish. Spanish uses `usted`, as the
 * email does. The privacy sentence matches the email's, so the client is told the same thing twice.
 */
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, type Locale } from '../../events/contracts.ts';

/** The longest comment a client can send, in characters as a browser's `maxlength` counts them. */
export const COMMENT_MAX_LENGTH = 2000;

/** A page that explains one situation: a title (also the h1) and its paragraphs. */
export interface MessageText {
  title: string;
  paragraphs: readonly string[];
}

export interface PageText {
  intro: (practice: string, questions: number) => string;
  required: string;
  privacy: string;
  questionOf: (index: number, total: number) => string;
  anchors: (min: number, minText: string, max: number, maxText: string) => string;
  commentLabel: string;
  optional: string;
  commentHint: (max: number) => string;
  talkLabel: string;
  talkHint: string;
  submit: string;
  errorTitlePrefix: string;
  errorSummaryTitle: string;
  errorPrefix: string;
  errorMissing: (index: number, min: number, max: number) => string;
  errorTooLong: (length: number, max: number) => string;
  errorTalk: string;
  thanks: MessageText;
  answered: MessageText;
  expired: MessageText;
  notFound: MessageText;
  tooLarge: MessageText;
  unreadable: MessageText;
  notAllowed: MessageText;
  otherSite: MessageText;
  unavailable: MessageText;
  optOut: (practice: string) => MessageText;
  optOutButton: string;
  optedOut: MessageText;
}

const number = (locale: Locale, value: number): string => new Intl.NumberFormat(locale === 'es' ? 'es-ES' : 'en-US').format(value);

const EN: PageText = {
  intro: (practice, questions) => `${practice} would like to know how your last session went for you. There are ${questions} short questions.`,
  required: 'Please answer every question. The comment and the tick box are optional.',
  privacy: 'Your answers are kept securely by the practice. Your therapist is told when they suggest something is not working for you, so you can talk about it.',
  questionOf: (index, total) => `Question ${index} of ${total}`,
  anchors: (min, minText, max, maxText) => `${min} = ${minText}, ${max} = ${maxText}`,
  commentLabel: 'Anything else you would like your therapist to know?',
  optional: '(optional)',
  commentHint: (max) =>
    `Up to ${number('en', max)} characters. Your therapist may not read this before your next session: if you need help urgently, call your local emergency number.`,
  talkLabel: 'I’d like to talk about how therapy is going',
  talkHint: 'Your therapist will see this and can bring it up with you.',
  submit: 'Send my answers',
  errorTitlePrefix: 'Error: ',
  errorSummaryTitle: 'There is a problem',
  errorPrefix: 'Error:',
  errorMissing: (index, min, max) => `Question ${index}: choose a number from ${min} to ${max}.`,
  errorTooLong: (length, max) => `Your comment has ${number('en', length)} characters. Please shorten it to ${number('en', max)} or fewer.`,
  errorTalk: 'Tick the box or leave it empty.',
  thanks: {
    title: 'Thank you',
    // What really happens (issue 14): stored for the therapist, read on the client's trend page (the
    // weekly digest only says that a comment waits, and a therapist can turn it off); an alert only
    // when the answers suggest it; no promise of when.
    paragraphs: [
      'Your answers are saved for your therapist, with any comment you wrote.',
      'Your therapist reads them on a page that shows your answers over time. If your answers suggest that something is not working, or you asked to talk, your therapist also gets an alert.',
      'Your therapist may not read them straight away. If something is urgent, contact your therapist or the practice directly.',
      'You can close this page now.',
    ],
  },
  answered: {
    title: 'Already answered',
    paragraphs: ['The questions about this session have already been answered. Thank you: there is nothing more to do.'],
  },
  expired: {
    title: 'This link has expired',
    paragraphs: [
      'The questions about this session are closed now.',
      'You will get a new link after your next session. If there is something you would like your therapist to know, you can tell them then.',
    ],
  },
  notFound: {
    title: 'Link not found',
    paragraphs: [
      'This link does not work. Please check that you opened the whole link from your email.',
      'Links stop working some time after the session they ask about.',
    ],
  },
  tooLarge: {
    title: 'Too much text',
    paragraphs: ['What you sent was too long to read. Please go back, shorten your comment and send it again.'],
  },
  unreadable: {
    title: 'Something went wrong',
    paragraphs: ['Your browser sent the form in a way we could not read. Please go back and send it again.'],
  },
  notAllowed: {
    title: 'Page not available',
    paragraphs: ['This page cannot be used this way. Please open the link from your email.'],
  },
  otherSite: {
    title: 'Sent from another website',
    paragraphs: ['Nothing was sent or changed: this came from another website, not from this page. To answer or to stop these emails, open the link in your email and use the button on the page.'],
  },
  unavailable: {
    title: 'Please try again',
    paragraphs: ['Something went wrong on our side. Please go back and try again in a few minutes.'],
  },
  optOut: (practice) => ({
    title: 'Stop feedback emails?',
    paragraphs: [
      `Nothing has changed yet. If you press the button below, ${practice} will stop emailing you to ask how your sessions went.`,
      'This does not change your appointments or any other emails from the practice. You can turn them back on later by asking your therapist or the practice.',
    ],
  }),
  optOutButton: 'Stop feedback emails',
  optedOut: {
    title: 'You will not get feedback emails any more',
    paragraphs: ['Your appointments and other emails from the practice are not affected.', 'To undo this, ask your therapist or the practice to turn feedback emails back on for you.'],
  },
};

const ES: PageText = {
  intro: (practice, questions) => `En ${practice} nos gustaría saber cómo le fue en su última sesión. Son ${questions} preguntas breves.`,
  required: 'Responda a todas las preguntas, por favor. El comentario y la casilla son opcionales.',
  privacy: 'El centro guarda sus respuestas de forma segura. Si indican que algo no le está funcionando, se avisa a su terapeuta para que puedan hablarlo.',
  questionOf: (index, total) => `Pregunta ${index} de ${total}`,
  anchors: (min, minText, max, maxText) => `${min} = ${minText}, ${max} = ${maxText}`,
  commentLabel: '¿Hay algo más que quiera que sepa su terapeuta?',
  optional: '(opcional)',
  commentHint: (max) =>
    `Hasta ${number('es', max)} caracteres. Puede que su terapeuta no lo lea antes de la próxima sesión: si necesita ayuda urgente, llame al número de emergencias de su zona.`,
  talkLabel: 'Me gustaría hablar de cómo va la terapia',
  talkHint: 'Su terapeuta lo verá y podrá hablarlo con usted.',
  submit: 'Enviar mis respuestas',
  errorTitlePrefix: 'Error: ',
  errorSummaryTitle: 'Hay un problema',
  errorPrefix: 'Error:',
  errorMissing: (index, min, max) => `Pregunta ${index}: elija un número del ${min} al ${max}.`,
  errorTooLong: (length, max) => `Su comentario tiene ${number('es', length)} caracteres. Acórtelo a ${number('es', max)} como máximo.`,
  errorTalk: 'Marque la casilla o déjela vacía.',
  thanks: {
    title: 'Gracias',
    paragraphs: [
      'Sus respuestas se han guardado para su terapeuta, junto con el comentario que haya escrito.',
      'Su terapeuta las lee en una página que muestra sus respuestas a lo largo del tiempo. Si sus respuestas indican que algo no está funcionando, o si pidió hablar, su terapeuta recibe además un aviso.',
      'Puede que su terapeuta no las lea enseguida. Si algo es urgente, póngase en contacto directamente con su terapeuta o con el centro.',
      'Ya puede cerrar esta página.',
    ],
  },
  answered: {
    title: 'Ya respondido',
    paragraphs: ['Las preguntas sobre esta sesión ya se han respondido. Gracias: no tiene que hacer nada más.'],
  },
  expired: {
    title: 'Este enlace ha caducado',
    paragraphs: [
      'Las preguntas sobre esta sesión ya están cerradas.',
      'Recibirá un enlace nuevo después de su próxima sesión. Si hay algo que quiera que sepa su terapeuta, puede decírselo entonces.',
    ],
  },
  notFound: {
    title: 'Enlace no encontrado',
    paragraphs: [
      'Este enlace no funciona. Compruebe que ha abierto el enlace completo de su correo.',
      'Los enlaces dejan de funcionar un tiempo después de la sesión por la que preguntan.',
    ],
  },
  tooLarge: {
    title: 'Demasiado texto',
    paragraphs: ['Lo que ha enviado es demasiado largo para leerlo. Vuelva atrás, acorte su comentario y envíelo de nuevo.'],
  },
  unreadable: {
    title: 'Algo ha fallado',
    paragraphs: ['Su navegador envió el formulario de una forma que no hemos podido leer. Vuelva atrás y envíelo de nuevo.'],
  },
  notAllowed: {
    title: 'Página no disponible',
    paragraphs: ['Esta página no se puede usar así. Abra el enlace de su correo.'],
  },
  otherSite: {
    title: 'Enviado desde otro sitio web',
    paragraphs: ['No se ha enviado ni cambiado nada: esto venía de otro sitio web, no de esta página. Para responder o para dejar de recibir estos correos, abra el enlace de su correo y use el botón de la página.'],
  },
  unavailable: {
    title: 'Inténtelo de nuevo',
    paragraphs: ['Algo ha fallado por nuestra parte. Vuelva atrás e inténtelo de nuevo dentro de unos minutos.'],
  },
  optOut: (practice) => ({
    title: '¿Dejar de recibir correos de opinión?',
    paragraphs: [
      `Todavía no ha cambiado nada. Si pulsa el botón de abajo, ${practice} dejará de enviarle correos para preguntarle cómo fueron sus sesiones.`,
      'Esto no cambia sus citas ni otros correos del centro. Puede volver a activarlos más adelante pidiéndoselo a su terapeuta o al centro.',
    ],
  }),
  optOutButton: 'Dejar de recibir estos correos',
  optedOut: {
    title: 'Ya no recibirá correos de opinión',
    paragraphs: ['Sus citas y otros correos del centro no cambian.', 'Para deshacerlo, pida a su terapeuta o al centro que vuelvan a activar los correos de opinión.'],
  },
};

/** The page wording in each supported locale. */
export const PAGE_TEXT: Record<Locale, PageText> = { en: EN, es: ES };

/**
 * Picks the page language from an `Accept-Language` header, for pages that have no token to say
 * which language the client reads (an unknown link, a request we cannot read).
 */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .slice(0, 512)
    .split(',')
    .map((part, order) => {
      const [range = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { language: range.trim().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), order };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  const match = ranked.find((entry) => (SUPPORTED_LOCALES as readonly string[]).includes(entry.language));
  return (match?.language as Locale | undefined) ?? DEFAULT_LOCALE;
}
