/**
 * The rupture detector's public surface: state, the pure step functions, settings and reasons.
 */
export * from './evaluate.ts';
export * from './reason.ts';
export * from './scale.ts';
export * from './settings.ts';
export * from './state.ts';
export { tQuantile975 } from './t-quantile.ts';
