// Sizes and durations as docker prints them: docker/go-units' own test tables
// (size_test.go, duration_test.go), plus the precision docker's image and
// history listings use (HumanSizeWithPrecision(size, 3)) and Go's %g rounding
// of exact ties (half to even).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesSize, formatG, GoTime, humanDuration, humanSize, humanSizeWithPrecision } from '../../../../src/cli/units.js';

const KB = 1000;
const MB = 1000 * KB;
const GB = 1000 * MB;
const TB = 1000 * GB;
const PB = 1000 * TB;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;
const PiB = 1024 * TiB;

describe('go-units HumanSize (size_test.go TestHumanSize)', () => {
  const cases: Array<[number, string]> = [
    [1000, '1kB'],
    [1024, '1.024kB'],
    [1000000, '1MB'],
    [1048576, '1.049MB'],
    [2 * MB, '2MB'],
    [3.42 * GB, '3.42GB'],
    [5.372 * TB, '5.372TB'],
    [2.22 * PB, '2.22PB'],
    [10000000000000 * PB, '1e+04YB'],
  ];
  for (const [size, text] of cases) it(`${size} → ${text}`, () => assert.equal(humanSize(size), text));
});

describe('go-units BytesSize (size_test.go TestBytesSize)', () => {
  const cases: Array<[number, string]> = [
    [1024, '1KiB'],
    [1024 * 1024, '1MiB'],
    [1048576, '1MiB'],
    [2 * MiB, '2MiB'],
    [3.42 * GiB, '3.42GiB'],
    [5.372 * TiB, '5.372TiB'],
    [2.22 * PiB, '2.22PiB'],
    [KiB * KiB * KiB * KiB * KiB * PiB, '1.049e+06YiB'],
  ];
  for (const [size, text] of cases) it(`${size} → ${text}`, () => assert.equal(bytesSize(size), text));
});

describe("HumanSizeWithPrecision(size, 3): docker images / history SIZE", () => {
  const cases: Array<[number, string]> = [
    [0, '0B'],
    [999, '999B'],
    [1982902, '1.98MB'],
    [4_260_000, '4.26MB'],
    [999_999, '1e+03kB'],
    [1_125_000, '1.12MB'], // exact tie: Go rounds half to even
    [1_135_000, '1.14MB'],
    [90_362_776, '90.4MB'],
  ];
  for (const [size, text] of cases) it(`${size} → ${text}`, () => assert.equal(humanSizeWithPrecision(size, 3), text));
  it("%g's exponent form and trailing zeros", () => {
    assert.equal(formatG(0.00001234, 3), '1.23e-05');
    assert.equal(formatG(100, 3), '100');
    assert.equal(formatG(1000, 3), '1e+03');
    assert.equal(formatG(2.5, 4), '2.5');
  });
});

describe('go-units HumanDuration (duration_test.go TestHumanDuration)', () => {
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;
  const day = 24 * hour;
  const week = 7 * day;
  const month = 30 * day;
  const year = 365 * day;
  const cases: Array<[number, string]> = [
    [450, 'Less than a second'],
    [1 * second, '1 second'],
    [45 * second, '45 seconds'],
    [46 * second, '46 seconds'],
    [59 * second, '59 seconds'],
    [60 * second, 'About a minute'],
    [1 * minute, 'About a minute'],
    [3 * minute, '3 minutes'],
    [35 * minute, '35 minutes'],
    [35 * minute + 40 * second, '35 minutes'],
    [45 * minute, '45 minutes'],
    [45 * minute + 40 * second, '45 minutes'],
    [46 * minute, '46 minutes'],
    [59 * minute, '59 minutes'],
    [1 * hour, 'About an hour'],
    [1 * hour + 29 * minute, 'About an hour'],
    [1 * hour + 31 * minute, '2 hours'],
    [1 * hour + 59 * minute, '2 hours'],
    [3 * hour, '3 hours'],
    [3 * hour + 29 * minute, '3 hours'],
    [3 * hour + 31 * minute, '4 hours'],
    [3 * hour + 59 * minute, '4 hours'],
    [3 * hour + 60 * minute, '4 hours'],
    [24 * hour, '24 hours'],
    [1 * day + 12 * hour, '36 hours'],
    [2 * day, '2 days'],
    [7 * day, '7 days'],
    [13 * day + 5 * hour, '13 days'],
    [2 * week, '2 weeks'],
    [2 * week + 4 * day, '2 weeks'],
    [3 * week, '3 weeks'],
    [4 * week, '4 weeks'],
    [4 * week + 3 * day, '4 weeks'],
    [1 * month, '4 weeks'],
    [1 * month + 2 * week, '6 weeks'],
    [2 * month, '2 months'],
    [2 * month + 2 * week, '2 months'],
    [3 * month, '3 months'],
    [3 * month + 1 * week, '3 months'],
    [5 * month + 2 * week, '5 months'],
    [13 * month, '13 months'],
    [23 * month, '23 months'],
    [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'],
    [3 * year + 2 * month, '3 years'],
  ];
  for (const [ms, text] of cases) it(`${ms}ms → ${text}`, () => assert.equal(humanDuration(ms), text));
});

describe("time.Time from API JSON", () => {
  it("prints as Go's String() and marshals as it came", () => {
    assert.equal(new GoTime('2026-11-23T10:15:20.482Z').String(), '2026-11-23 10:15:20.482 +0000 UTC');
    assert.equal(new GoTime('2026-11-23T10:29:35.701378277Z').String(), '2026-11-23 10:29:35.701378277 +0000 UTC');
    assert.equal(new GoTime('0001-01-01T00:00:00Z').String(), '0001-01-01 00:00:00 +0000 UTC');
    assert.equal(new GoTime('2024-01-01T01:00:00.500+01:00').String(), '2024-01-01 01:00:00.5 +0100 +0100');
    assert.equal(new GoTime('2024-01-01T00:00:00Z').MarshalJSON(), '2024-01-01T00:00:00Z');
  });
});
