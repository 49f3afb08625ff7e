/**
 * How far any rule could go on a simulated cohort: an oracle that knows each client's true usual
 * level and answer noise (which no real rule knows) and alerts at every answered session whose
 * total is `totalK` of that client's true SDs below their true level, or (with `itemK`) one item
 * that many of its true SDs below its usual value. It learns nothing and waits for no repair, so
 * the share of labelled ruptures it catches (lenient definition) bounds what any rule alerting at
 * that line could catch; its alert count is no bound (it alerts at every session of an episode).
 */
import type { Instrument } from '../instruments.ts';
import { itemPomp } from '../instruments.ts';
import { simulateCohort, type SimulatorName } from './simulate.ts';

export interface OracleLine {
  /** Alert when the total is this many true SDs below the true usual total. */
  totalK: number;
  /** Also alert when an item is this many of its true SDs below its usual value (absent: total only). */
  itemK?: number;
}

export interface OracleCeiling {
  labelled: number;
  answered: number;
  /** Share of labelled ruptures with an oracle alert at that session or the client's next answered one. */
  caught: number;
  alertsPer100Answered: number;
}

/** Runs the oracle over one simulator and a list of seeds, lenient definition. */
export function oracleCeiling(simulator: SimulatorName, seeds: readonly number[], clients: number, instrument: Instrument, line: OracleLine): OracleCeiling {
  let labelled = 0;
  let caught = 0;
  let answered = 0;
  let alerts = 0;
  for (const seed of seeds) {
    let client = '';
    let pending = 0;
    for (const session of simulateCohort({ clients, seed, simulator }, instrument)) {
      if (session.clientId !== client) {
        client = session.clientId;
        pending = 0;
      }
      const label = session.rupture === 1;
      if (label) labelled += 1;
      if (session.answers === null) {
        if (label) pending += 1;
        continue;
      }
      answered += 1;
      const { truth } = session;
      const items = instrument.items.map((item, index) => itemPomp(instrument, item, session.answers![index]!));
      const total = items.reduce((sum, value) => sum + value, 0) / items.length;
      const itemK = line.itemK;
      const alerted =
        total < truth.usualPomp - line.totalK * truth.sdPomp ||
        (itemK !== undefined && items.some((value, index) => value < truth.itemUsualPomp[index]! - itemK * truth.itemSdPomp));
      if (alerted) {
        alerts += 1;
        caught += pending + (label ? 1 : 0);
        pending = 0;
      } else pending = label ? 1 : 0;
    }
  }
  return { labelled, answered, caught: labelled === 0 ? 0 : caught / labelled, alertsPer100Answered: answered === 0 ? 0 : (100 * alerts) / answered };
}
