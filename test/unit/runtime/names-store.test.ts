// Container names and lookup as dockerd does them (moby daemon/names.go,
// container/view.go GetByPrefix): validation, generated names, lookup by full
// ID, name (with or without slash), unique ID prefix, and the errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateName, GENERATED_NAME_SPACE, normalizeName, wordLists } from '../../../src/runtime/names.js';
import { NameIndex } from '../../../src/runtime/store.js';
import { generateId } from '../../../src/runtime/util.js';

describe('container names', () => {
  it('generates adjective_surname from berth\'s own lists, a digit after collisions', () => {
    for (let i = 0; i < 200; i++) assert.match(generateName(), /^[a-z]+_[a-z_]+$/);
    assert.match(generateName(3), /^[a-z]+_[a-z_]+\d$/);
    assert.equal(GENERATED_NAME_SPACE, wordLists.adjectives.length * wordLists.surnames.length);
    assert.equal(new Set(wordLists.adjectives).size, wordLists.adjectives.length);
    assert.equal(new Set(wordLists.surnames).size, wordLists.surnames.length);
  });

  it('validates names with dockerd\'s rule and message', () => {
    assert.equal(normalizeName('web'), '/web');
    assert.equal(normalizeName('/web.1_a-b'), '/web.1_a-b');
    for (const bad of ['a', '-x', 'a b', 'a/b', '']) {
      assert.throws(() => normalizeName(bad), { message: `Invalid container name (${bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed` });
    }
  });

  it('makes IDs of 64 hex digits whose short form is not all digits', () => {
    for (let i = 0; i < 100; i++) {
      const id = generateId();
      assert.match(id, /^[0-9a-f]{64}$/);
      assert.doesNotMatch(id.slice(0, 12), /^\d+$/);
    }
  });
});

describe('container lookup', () => {
  const a = { id: 'abc123' + '0'.repeat(58), name: '/alpha' };
  const b = { id: 'abd456' + '0'.repeat(58), name: '/beta' };
  const idx = new NameIndex<{ id: string; name: string }>();
  idx.add(a);
  idx.add(b);

  it('finds by full ID, name with or without slash, unique prefix', () => {
    assert.equal(idx.get(a.id), a);
    assert.equal(idx.get('alpha'), a);
    assert.equal(idx.get('/beta'), b);
    assert.equal(idx.get('abc'), a);
  });

  it('refuses ambiguous prefixes and unknown names with docker\'s messages', () => {
    assert.throws(() => idx.get('ab'), { message: 'multiple IDs found with provided prefix: ab' });
    assert.throws(() => idx.get('gamma'), { message: 'No such container: gamma' });
    assert.throws(() => idx.get('ffff'), { message: 'No such container: ffff' });
  });

  it('reserves names with the conflict message', () => {
    assert.throws(() => idx.reserveName('/alpha', b.id), {
      message: `Conflict. The container name "/alpha" is already in use by container "${a.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    });
    idx.reserveName('/alpha', a.id);
  });
});
