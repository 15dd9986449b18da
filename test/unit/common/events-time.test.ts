// The event bus and its filters (moby daemon/events/filter.go), docker's
// timestamp parsing (api/types/time) and Go's RFC 3339 nano output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Filters } from '../../../src/api/http/filters.js';
import { EventBus, eventJson, eventMatches, type EventMessage } from '../../../src/common/events.js';
import { formatRfc3339Nano, parseDockerTimestamp, parseGoDuration, parseRfc3339Nano } from '../../../src/common/time.js';

function ev(over: Partial<EventMessage> & { attrs?: Record<string, string> }): EventMessage {
  return {
    Type: over.Type ?? 'container',
    Action: over.Action ?? 'start',
    Actor: { ID: over.Actor?.ID ?? 'abc123', Attributes: over.attrs ?? { name: 'web', image: 'busybox:latest', tier: 'front' } },
    scope: 'local',
    time: 1,
    timeNano: 1_000_000_000n,
  };
}

describe('event filters', () => {
  const f = (o: Record<string, string[]>): Filters => Filters.parse(JSON.stringify(o));
  it('match as moby\'s', () => {
    assert.ok(eventMatches(f({}), ev({})));
    assert.ok(eventMatches(f({ container: ['web'] }), ev({})));
    assert.ok(eventMatches(f({ container: ['abc'] }), ev({})));
    assert.ok(!eventMatches(f({ container: ['db'] }), ev({})));
    assert.ok(!eventMatches(f({ container: ['web'] }), ev({ Type: 'network', attrs: { name: 'web' } })));
    assert.ok(eventMatches(f({ event: ['start', 'die'] }), ev({})));
    assert.ok(!eventMatches(f({ event: ['die'] }), ev({})));
    assert.ok(eventMatches(f({ event: ['exec_create'] }), ev({ Action: 'exec_create: sh -c x' })));
    assert.ok(eventMatches(f({ image: ['busybox'] }), ev({})));
    assert.ok(eventMatches(f({ label: ['tier=front'] }), ev({})));
    assert.ok(!eventMatches(f({ label: ['tier=back'] }), ev({})));
    assert.ok(eventMatches(f({ type: ['container'] }), ev({})));
    assert.ok(!eventMatches(f({ type: ['image'] }), ev({})));
  });

  it('writes timeNano as a JSON integer with the legacy status/id/from of container events', () => {
    const text = eventJson({ ...ev({}), timeNano: 1795430260904875766n });
    assert.match(text, /"timeNano":1795430260904875766}$/);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal(parsed.status, 'start');
    assert.equal(parsed.id, 'abc123');
    assert.equal(parsed.from, 'busybox:latest');
  });

  it('replays the kept events in order with strictly increasing times', () => {
    const bus = new EventBus(3);
    const seen: string[] = [];
    bus.subscribe((e) => seen.push(e.Action));
    for (const a of ['a', 'b', 'c', 'd']) bus.publish({ Type: 'container', Action: a, Actor: { ID: 'x', Attributes: {} }, timeNano: 5n });
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
    const kept = bus.replay(undefined, undefined);
    assert.deepEqual(kept.map((e) => e.Action), ['b', 'c', 'd']);
    assert.ok(kept[0]!.timeNano < kept[1]!.timeNano);
  });
});

describe('times', () => {
  it('formats Go\'s RFC 3339 nano and parses it back', () => {
    assert.equal(formatRfc3339Nano(1700000000123456789n), '2023-11-14T22:13:20.123456789Z');
    assert.equal(formatRfc3339Nano(1700000000000000000n), '2023-11-14T22:13:20Z');
    assert.equal(formatRfc3339Nano(1700000000100000000n), '2023-11-14T22:13:20.1Z');
    assert.equal(parseRfc3339Nano('2023-11-14T23:13:20.5+01:00'), 1700000000500000000n);
  });

  it('parses docker\'s timestamps and durations', () => {
    const now = 2_000_000_000_000_000_000n;
    assert.equal(parseDockerTimestamp('1700000000', now), 1700000000000000000n);
    assert.equal(parseDockerTimestamp('1700000000.5', now), 1700000000500000000n);
    assert.equal(parseDockerTimestamp('10m', now), now - 600_000_000_000n);
    assert.equal(parseDockerTimestamp('2023-11-14T22:13:20Z', now), 1700000000000000000n);
    assert.throws(() => parseDockerTimestamp('yesterday', now), { message: 'failed to parse value as time or duration: "yesterday"' });
    assert.equal(parseGoDuration('1h30m'), 5400);
    assert.equal(parseGoDuration('1.5s'), 1.5);
  });
});
