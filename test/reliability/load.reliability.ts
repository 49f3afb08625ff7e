/**
 * Item 7, load: 500 concurrent form posts to 500 links, then 500 concurrent posts to 50 links
 * (10 each), against the local web server on 127.0.0.1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReliabilityStack, type ReliabilityStack } from './support/harness.ts';
import { runLoad } from './support/load.ts';
import { report } from './support/report.ts';

let harness: ReliabilityStack;

beforeAll(async () => {
  harness = await startReliabilityStack();
});

afterAll(async () => {
  await harness?.stop();
});

it('stores every one of 500 concurrent answers once, and exactly one per link when 50 links get 10 posts each at once', async () => {
  const result = await runLoad(harness, { item: '7 load', prefix: 'load', distinct: 500, shared: { links: 50, repeat: 10 } });
  for (const figure of result.figures) report(figure);

  expect(result.problems).toEqual([]);
});
