/**
 * The time source of every function. The local stack (and only it) may replace it, so tests
 * advance time instead of sleeping.
 */
import type { Clock } from '../use-cases/ports.ts';

export const systemClock: Clock = { now: () => new Date() };

let current: Clock = systemClock;

/** The clock the functions use. */
export const clock: Clock = { now: () => current.now() };

/** Replaces the clock (local stack and tests only). */
export function setClock(next: Clock): void {
  current = next;
}

/** A clock that stands still until advanced. */
export class ManualClock implements Clock {
  private millis: number;
  constructor(start: Date = new Date()) {
    this.millis = start.getTime();
  }
  now(): Date {
    return new Date(this.millis);
  }
  advance(ms: number): void {
    this.millis += ms;
  }
  set(date: Date): void {
    this.millis = date.getTime();
  }
}
