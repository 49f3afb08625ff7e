/**
 * Each alert kind in plain words: the alert's subject, the trend page's alert column. What a
 * therapist sorts the inbox by.
 */
import type { AlertKind } from '../../events/contracts.ts';

export const KIND_WORDS: Record<AlertKind, string> = {
  rupture: 'sharp drop',
  'sustained-decline': 'steady decline',
  'item-drop': 'one part dropped',
  'low-rating': 'very low rating',
  'client-asked': 'asked to talk',
  unrepaired: 'not yet repaired',
  'going-quiet': 'gone quiet',
};
