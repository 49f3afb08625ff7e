/**
 * Plain-language reasons: every evaluation says in English, with the numbers on the instrument's
 * own scale, why it is what it is ("Total 27 of 40 against a usual 38.4 ± 0.5; 'Goals' 3 of 10
 * against a usual 9.8"). POMP stays internal; therapists read their instrument's scale.
 */
import type { Instrument } from '../instruments.ts';
import type { Evaluation, ExpiredOutcome, ItemDrop } from './evaluate.ts';
import type { DetectorSettings } from './settings.ts';
import { pompToAnswer, pompToTotal, totalRange } from './scale.ts';
import type { RepairWindow } from './state.ts';

/** Formats a number with at most one decimal ("38.4", "27"). */
export function formatNumber(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return (Object.is(rounded, -0) ? 0 : rounded).toString().replace('-', '−');
}

/** Formats a z value or threshold with two decimals and a true minus sign ("−3.25"). */
export function formatZ(value: number): string {
  const fixed = value.toFixed(2);
  return (fixed === '-0.00' ? '0.00' : fixed).replace('-', '−');
}

function total(instrument: Instrument, p: number): string {
  return `${formatNumber(pompToTotal(instrument, p))} of ${formatNumber(instrument.items.length * instrument.max)}`;
}

function usual(instrument: Instrument, m: number, s: number): string {
  return `a usual ${formatNumber(pompToTotal(instrument, m))} ± ${formatNumber((s / 100) * totalRange(instrument))}`;
}

function sessions(n: number): string {
  return n === 1 ? '1 session' : `${n} sessions`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th'}`;
}

function itemSentence(instrument: Instrument, drop: ItemDrop): string {
  const item = instrument.items.find((candidate) => candidate.id === drop.itemId);
  if (!item) return '';
  const note = item.reverseKeyed ? ' (higher is worse on this item)' : '';
  return `'${item.shortLabel.en}' ${formatNumber(pompToAnswer(instrument, item, drop.value))} of ${formatNumber(instrument.max)}${note} against a usual ${formatNumber(pompToAnswer(instrument, item, drop.baselineMean))}`;
}

/** Describes an evaluation in plain English; `before` is the repair window open before the session. */
export function describeEvaluation(
  evaluation: Evaluation,
  instrument: Instrument,
  settings: DetectorSettings,
  before: RepairWindow | null,
): string {
  const { p, m, s, n, z } = evaluation;
  const parts: string[] = [];
  const band = m !== null && s !== null ? usual(instrument, m, s) : '';
  const over = `over the last ${sessions(n)}`;
  const threshold = (value: number) => formatNumber(pompToTotal(instrument, value));
  const points = (pomp: number) => formatNumber((pomp / 100) * totalRange(instrument));
  const spreadNote = (() => {
    const sEff = evaluation.sEff;
    if (s === null || sEff === null || points(s) === points(sEff)) return '';
    // The floor, when it is what counts, says so as it always did. Otherwise, with sdPriorWeight,
    // the client's spread was pulled toward the practice's typical one (up or down). Kept short:
    // the reason is stored with every evaluation, and a longer one costs a write unit more on the
    // largest records (test/integration/detector-alert-stores.test.ts).
    if (sEff <= settings.sdFloor + 1e-9) return s < sEff ? ` (a spread this small counts as ${points(sEff)} points)` : '';
    if (settings.sdPriorWeight > 0) return ` (spread counted as ${points(sEff)}, pulled toward the practice's ${points(settings.priorWithinSdPomp)})`;
    return '';
  })();
  const droppedItems = new Set<string>();

  switch (evaluation.state) {
    case 'insufficient-baseline':
      parts.push(`Total ${total(instrument, p)}; ${sessions(n)} in this client's baseline so far, ${settings.minBaseline} needed before comparing with their own usual score.`);
      break;
    case 'normal':
      parts.push(`Total ${total(instrument, p)}, in line with ${band} ${over}.`);
      break;
    case 'watch':
      parts.push(
        settings.declineRule === 'cusum'
          ? `Total ${total(instrument, p)} against ${band} ${over}${spreadNote}: lower than usual (z = ${formatZ(z ?? 0)}) but not enough for an alert; the shortfalls since the decline began add up to ${formatZ(evaluation.declineSum ?? 0)} of the ${formatZ(settings.cusumLimit)} SDs that alert.`
          : `Total ${total(instrument, p)} against ${band} ${over}${spreadNote}: lower than usual (z = ${formatZ(z ?? 0)}) but not enough for an alert; watch ${evaluation.watches} of ${settings.sustainedWatches} in a row.`,
      );
      break;
    case 'continuing':
      parts.push(
        `Total ${total(instrument, p)}, ${sessions((before?.seen ?? 0) + 1)} after the alert and not yet back to ${threshold(before?.threshold ?? 0)} or more; the alert stands, no new one is sent.`,
      );
      break;
    case 'repaired':
      parts.push(`Total ${total(instrument, p)}: back in the usual range (${threshold(before?.threshold ?? 0)} or more) ${sessions((before?.seen ?? 0) + 1)} after the alert.`);
      break;
    default:
      break;
  }

  for (const alert of evaluation.alerts) {
    switch (alert.kind) {
      case 'rupture':
        parts.push(
          alert.confirmed
            ? `Total ${total(instrument, alert.confirmed.firstP)} at the last answered session and ${total(instrument, p)} today, ${formatNumber(-alert.confirmed.firstZ)} and ${formatNumber(-alert.z)} SDs below ${alert.early ? `the ${formatNumber(pompToTotal(instrument, alert.m))} expected from this client's ${alert.n === 1 ? 'first session' : `first ${alert.n} sessions`}` : `the usual ${formatNumber(pompToTotal(instrument, alert.m))}`}: two sessions in a row this far down.`
            : alert.deepened
            ? `Total ${total(instrument, p)}, ${sessions(alert.deepened.sessionsSince)} after the alert at ${total(instrument, alert.deepened.alertP)} and lower still: against the ${formatNumber(pompToTotal(instrument, alert.m))} ± ${points(alert.sEff)} expected before that alert, z = ${formatZ(alert.z)}, at or past the alert line of ${formatZ(-alert.k)}, and ${points(alert.deepened.alertP - p)} points below the total at the alert.`
            : alert.early
            ? `Total ${total(instrument, p)} against an expected ${formatNumber(pompToTotal(instrument, alert.m))} ± ${formatNumber((alert.sEff / 100) * totalRange(instrument))} from this client's ${alert.n === 1 ? 'first session' : `first ${alert.n} sessions`}, pulled toward the practice's typical ${formatNumber(pompToTotal(instrument, alert.early.priorMean))}: z = ${formatZ(alert.z)}, at or past the early alert line of ${formatZ(-alert.k)}.`
            : `Total ${total(instrument, p)} against ${usual(instrument, alert.m, alert.s)} ${over}: z = ${formatZ(alert.z)}, at or past this client's alert line of ${formatZ(-alert.k)}${spreadNote}.`,
        );
        break;
      case 'sustained-decline':
        parts.push(
          alert.sum !== undefined
            ? `Total ${total(instrument, p)}: over the last ${sessions(alert.watches)} the totals stayed below the usual ${formatNumber(pompToTotal(instrument, alert.m))} from before the decline began, and the shortfalls add up to ${formatZ(alert.sum)} SDs beyond what noise explains, past the limit of ${formatZ(settings.cusumLimit)} (today z = ${formatZ(alert.z)}).`
            : `Total ${total(instrument, p)}, the ${ordinal(alert.watches)} session in a row below the usual ${formatNumber(pompToTotal(instrument, alert.m))} from before the decline began (z = ${formatZ(alert.z)}).`,
        );
        break;
      case 'item-drop':
        for (const drop of alert.items) droppedItems.add(drop.itemId);
        parts.push(`${alert.items.map((drop) => itemSentence(instrument, drop)).join('; ')}.`);
        break;
      case 'low-rating': {
        const byLine = p <= alert.threshold + 1e-9;
        const reasons = [
          byLine ? `at or below ${threshold(alert.threshold)}` : '',
          alert.cutoff?.below ? `below the instrument's concern level of ${formatNumber(alert.cutoff.totalBelow)}` : '',
        ].filter(Boolean);
        parts.push(`Total ${total(instrument, p)} is low: ${reasons.join(', and ')}.`);
        break;
      }
      case 'unrepaired':
        parts.push(
          `Total ${total(instrument, p)}, ${sessions(alert.sessionsSince)} after the alert and still below ${threshold(alert.threshold)}: the drop has not come back.`,
        );
        break;
      case 'client-asked':
        parts.push('The client asked to talk about how therapy is going.');
        break;
      case 'going-quiet':
        break;
    }
  }

  const moved = evaluation.mostMovedComponent;
  if (moved && (evaluation.state === 'alert' || evaluation.state === 'watch') && !droppedItems.has(moved.itemId)) {
    parts.push(`Moved most: ${itemSentence(instrument, moved)}.`);
  }
  return parts.join(' ');
}

/** Describes an expired request in plain English. */
export function describeExpired(outcome: ExpiredOutcome): string {
  const requests = outcome.expiredInARow === 1 ? 'request' : `${outcome.expiredInARow} requests in a row`;
  return outcome.alerts.length > 0
    ? `The last ${requests} expired unanswered: the client may be going quiet.`
    : `The feedback ${requests} expired unanswered; the session is skipped, not counted.`;
}
