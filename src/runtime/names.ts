// Names for containers: validation with dockerd's rule and message, and the
// generated `adjective_surname` names a container gets when none is given.
// The word lists are berth's own (a harbour theme: qualities of weather and
// water; navigators, cartographers, shipwrights and lighthouse builders).
import { randomInt } from 'node:crypto';
import { invalidParameter } from '../common/errors.js';

const ADJECTIVES = [
  'amber', 'ardent', 'azure', 'balmy', 'billowing', 'blithe', 'bold', 'breezy', 'briny', 'bright',
  'brisk', 'buoyant', 'calm', 'candid', 'cheery', 'clever', 'coastal', 'cobalt', 'cordial', 'crisp',
  'daring', 'dauntless', 'deft', 'dewy', 'drifting', 'eager', 'earnest', 'easterly', 'ebbing', 'fabled',
  'fair', 'fathomless', 'fearless', 'fleet', 'flowing', 'foamy', 'frank', 'gallant', 'gentle', 'gleaming',
  'glassy', 'golden', 'gusty', 'hale', 'hardy', 'hazy', 'hearty', 'humble', 'jaunty', 'jolly',
  'keen', 'kindly', 'leeward', 'limber', 'lively', 'lucid', 'lunar', 'mellow', 'merry', 'misty',
  'moored', 'nautical', 'nimble', 'northern', 'oceanic', 'pearly', 'placid', 'plucky', 'polar', 'quiet',
  'rapid', 'restful', 'rolling', 'rugged', 'salty', 'sandy', 'serene', 'shining', 'sleek', 'snug',
  'southern', 'sparkling', 'spirited', 'starry', 'steady', 'stormy', 'sturdy', 'sunny', 'swift', 'tidal',
  'tranquil', 'trusty', 'undaunted', 'valiant', 'vivid', 'wandering', 'westerly', 'windward', 'wise', 'zesty',
];

const SURNAMES = [
  'abel', 'amundsen', 'anning', 'bache', 'baffin', 'ballard', 'banks', 'barents', 'bering', 'bligh',
  'bougainville', 'bowditch', 'brunel', 'cabot', 'cabral', 'carson', 'cartier', 'champlain', 'chanute', 'cheng',
  'clark', 'columbus', 'cook', 'cousteau', 'cunard', 'dampier', 'darwin', 'davis', 'drake', 'dumont',
  'earhart', 'ellison', 'eriksson', 'fitzroy', 'flinders', 'forbes', 'franklin', 'fresnel', 'frobisher', 'fulton',
  'gama', 'gilbreth', 'hadley', 'halley', 'harrison', 'hartog', 'heyerdahl', 'hudson', 'humboldt', 'ibn_majid',
  'janszoon', 'jemison', 'kelvin', 'kupe', 'laperouse', 'lewis', 'livingstone', 'magellan', 'mahan', 'maury',
  'mawson', 'mercator', 'nansen', 'nordenskiold', 'ortelius', 'pytheas', 'peary', 'piccard', 'pigafetta', 'polo',
  'ptolemy', 'raleigh', 'rasmussen', 'ride', 'ross', 'sacagawea', 'scoresby', 'scott', 'shackleton', 'slocum',
  'smeaton', 'stevenson', 'sverdrup', 'tasman', 'tereshkova', 'tharp', 'tupaia', 'vancouver', 'vespucci', 'vitus',
  'wegener', 'weddell', 'whipple', 'wilkes', 'wilkins', 'yamamura', 'zheng', 'zhukov', 'ziolkowski', 'zuniga',
];

/** A random `adjective_surname`; with retry > 0 a digit is appended, as docker does after collisions. */
export function generateName(retry = 0): string {
  const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

/** How many distinct names generateName(0) can produce. */
export const GENERATED_NAME_SPACE = ADJECTIVES.length * SURNAMES.length;

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** moby daemon/names.go: a name is stored with a leading slash. Throws dockerd's 400 for a bad name. */
export function normalizeName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw invalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

export const wordLists = { adjectives: ADJECTIVES, surnames: SURNAMES } as const;
