import { describe, expect, it } from 'vitest';
import { externalReferences, measureTrendPage } from '../../bench/trend/trend.ts';

describe('the trend page benchmark', () => {
  it('counts every reference a page makes outside itself', () => {
    expect(externalReferences('<a href="https://example.com/x">x</a><img src=//cdn.example/a.png><p style="background:url(a.png)">')).toBe(3);
    expect(externalReferences('<svg viewBox="0 0 1 1"><title id="t">x</title></svg><p>https://example.com in text</p>')).toBe(0);
  });

  it('measures a small client’s page on the local stack', async () => {
    const result = await measureTrendPage({ sessions: 5, runs: 2 });

    expect(result.status).toBe(200);
    expect(result.bytes).toBeGreaterThan(1000);
    expect(result.externalReferences).toBe(0);
    expect(result.medianMs).toBeGreaterThan(0);
  }, 120_000);
});
