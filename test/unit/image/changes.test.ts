// `--change` instructions of docker import/commit, as moby's
// dockerfile.BuildFromConfig applies them (expectations from docker's
// documentation of `docker import --change` and the Dockerfile reference).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, splitWords } from '../../../src/image/changes.js';

describe('applyChanges', () => {
  it('CMD in exec and shell form', () => {
    assert.deepEqual(applyChanges({}, ['CMD ["echo","hi"]']).Cmd, ['echo', 'hi']);
    assert.deepEqual(applyChanges({}, ['CMD echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(applyChanges({}, ['cmd ["sh"]']).Cmd, ['sh']);
  });
  it('ENTRYPOINT clears a CMD not set by the same changes', () => {
    assert.deepEqual(applyChanges({ Cmd: ['sh'] }, ['ENTRYPOINT ["/bin/app"]']), { Cmd: null, Entrypoint: ['/bin/app'] });
    assert.deepEqual(applyChanges({}, ['CMD ["a"]', 'ENTRYPOINT ["b"]']), { Cmd: ['a'], Entrypoint: ['b'] });
  });
  it('ENV in both forms, replacing existing keys, with expansion', () => {
    const c = applyChanges({ Env: ['PATH=/bin', 'A=1'] }, ['ENV A=2 B="two words"', 'ENV C $A-x', 'ENV D=${B:-none}']);
    assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=two words', 'C=2-x', 'D=two words']);
  });
  it('LABEL, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, ONBUILD', () => {
    const c = applyChanges({}, [
      'LABEL a=b "c d"=e',
      'EXPOSE 80 53/udp 8000-8001',
      'USER nobody',
      'WORKDIR /srv',
      'WORKDIR app',
      'VOLUME ["/data"]',
      'VOLUME /a /b',
      'STOPSIGNAL SIGTERM',
      'ONBUILD run echo x',
    ]);
    assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e' });
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    assert.equal(c.User, 'nobody');
    assert.equal(c.WorkingDir, '/srv/app');
    assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data', '/a', '/b']);
    assert.equal(c.StopSignal, 'SIGTERM');
    assert.deepEqual(c.OnBuild, ['RUN echo x']);
  });
  it('HEALTHCHECK', () => {
    const c = applyChanges({}, ['HEALTHCHECK --interval=5s --retries=2 CMD curl -f http://localhost/']);
    assert.deepEqual(c.Healthcheck, { Interval: 5e9, Retries: 2, Test: ['CMD-SHELL', 'curl -f http://localhost/'] });
    assert.deepEqual(applyChanges({}, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  });
  it("refuses instructions that don't change the config, with docker's message", () => {
    assert.throws(() => applyChanges({}, ['RUN echo']), /RUN is not a valid change command$/);
    assert.throws(() => applyChanges({}, ['FROM busybox']), /FROM is not a valid change command/);
    // As typed (buildkit's parser in docker 28 keeps the instruction's case).
    assert.throws(() => applyChanges({}, ['from busybox']), { message: 'from is not a valid change command' });
    assert.throws(() => applyChanges({}, ['Run x']), { message: 'Run is not a valid change command' });
    assert.throws(() => applyChanges({}, ['ONBUILD ONBUILD RUN x']), /Chaining ONBUILD/);
  });
  it('leaves the input untouched', () => {
    const input = { Env: ['A=1'] };
    applyChanges(input, ['ENV A=2']);
    assert.deepEqual(input, { Env: ['A=1'] });
  });
});

describe('splitWords', () => {
  it('quotes and escapes', () => {
    assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
    assert.deepEqual(splitWords('k="v \\"q\\""'), ['k=v "q"']);
  });
});
