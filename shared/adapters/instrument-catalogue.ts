/**
 * The instrument catalogue every function reads from configuration (the built-in instrument plus
 * a practice's licensed one, if configured).
 */
export { INSTRUMENT_ENV, loadInstruments } from '../../functions/web/instruments.ts';
