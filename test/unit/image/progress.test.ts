// Progress strings as dockerd sends them and the docker CLI prints them
// (jsonmessage.JSONProgress.String with the daemon's width of 200, go-units HumanSize).
// Expected strings are copied from real `docker pull` output and go-units' tests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, formatProgress, goDuration, humanSize } from '../../../src/image/progress.js';

describe('humanSize (go-units HumanSize)', () => {
  const table: Array<[number, string]> = [
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1024, '1.024kB'],
    [32768, '32.77kB'],
    [2225000, '2.225MB'],
    [1234567, '1.235MB'],
    [1e9, '1GB'],
    [1.5e12, '1.5TB'],
    [999999, '1000kB'],
    [212_000_000, '212MB'],
  ];
  for (const [n, s] of table) it(`${n} → ${s}`, () => assert.equal(humanSize(n), s));
});

describe('bytesSize (go-units BytesSize)', () => {
  it('uses binary units', () => {
    assert.equal(bytesSize(1024), '1KiB');
    assert.equal(bytesSize(1536), '1.5KiB');
    assert.equal(bytesSize(1048576), '1MiB');
  });
});

describe('formatProgress (JSONProgress.String, width 200)', () => {
  it('full bar at 100%', () => {
    assert.equal(formatProgress({ current: 2225000, total: 2225000 }), '[==================================================>]  2.225MB/2.225MB');
  });
  it('empty bar at the start', () => {
    assert.equal(formatProgress({ current: 32768, total: 2225000 }), '[>                                                  ]  32.77kB/2.225MB');
  });
  it('half way', () => {
    assert.equal(formatProgress({ current: 50, total: 100 }), '[=========================>                         ]      50B/100B');
  });
  it('no total: the size alone, padded to 8', () => {
    assert.equal(formatProgress({ current: 1500 }), ' 1.5kB'.padStart(8));
  });
  it('nothing for zero/zero', () => {
    assert.equal(formatProgress({ current: 0, total: 0 }), '');
  });
  it('current past total drops the total', () => {
    assert.equal(formatProgress({ current: 200, total: 100 }), '[==================================================>]     200B');
  });
  it('units instead of bytes', () => {
    assert.equal(formatProgress({ current: 3, total: 10, units: 'steps' }), '[===============>                                   ] 3/10 steps');
  });
  it('no bar on narrow terminals, time left when start is known', () => {
    assert.equal(formatProgress({ current: 50, total: 100, start: 1000 }, 80, 1010), '     50B/100B 10s');
  });
  it('Go durations', () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(90), '1m30s');
    assert.equal(goDuration(7205), '2h0m5s');
  });
});
