// The `filters` query parameter: {"label":{"a=b":true}} (current form) or
// {"label":["a=b"]} (the pre-1.22 list form, still sent by old clients).
import { invalidParameter } from '../../common/errors.js';

export class Filters {
  private readonly fields: Map<string, Set<string>>;
  constructor(fields?: Map<string, Set<string>>) {
    this.fields = fields ?? new Map();
  }
  static parse(raw: string | null | undefined): Filters {
    const fields = new Map<string, Set<string>>();
    if (!raw) return new Filters(fields);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw invalidParameter(`invalid filter: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (parsed === null) return new Filters(fields);
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidParameter('invalid filter: expected a JSON object');
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      const set = new Set<string>();
      if (Array.isArray(value)) {
        for (const v of value) set.add(String(v));
      } else if (value && typeof value === 'object') {
        for (const [v, on] of Object.entries(value as Record<string, unknown>)) if (on) set.add(v);
      } else {
        throw invalidParameter(`invalid filter: value of "${key}" must be an object or array`);
      }
      fields.set(key, set);
    }
    return new Filters(fields);
  }
  keys(): string[] {
    return [...this.fields.keys()];
  }
  has(key: string): boolean {
    return this.fields.has(key);
  }
  get(key: string): string[] {
    return [...(this.fields.get(key) ?? [])];
  }
  /** Reject filter keys the endpoint does not know, with dockerd's message. */
  validate(accepted: readonly string[]): void {
    for (const key of this.fields.keys()) {
      if (!accepted.includes(key)) throw invalidParameter(`invalid filter '${key}'`);
    }
  }
  /** True when `key` is absent or one of its values equals `value`. */
  matchExact(key: string, value: string): boolean {
    const set = this.fields.get(key);
    return !set || set.size === 0 || set.has(value);
  }
  /** docker's label filter: every `k` or `k=v` entry must match the labels. */
  matchLabels(labels: Record<string, string> | null | undefined, key = 'label'): boolean {
    const set = this.fields.get(key);
    if (!set) return true;
    for (const cond of set) {
      const eq = cond.indexOf('=');
      if (eq < 0) {
        if (!labels || !(cond in labels)) return false;
      } else {
        const k = cond.slice(0, eq);
        if (!labels || labels[k] !== cond.slice(eq + 1)) return false;
      }
    }
    return true;
  }
  /** Parse a boolean filter (`dangling=true`), with dockerd's error on other values. */
  boolValue(key: string): boolean | undefined {
    const values = this.get(key);
    if (values.length === 0) return undefined;
    const results = new Set<boolean>();
    for (const v of values) {
      const lower = v.toLowerCase();
      if (lower === 'true' || lower === '1') results.add(true);
      else if (lower === 'false' || lower === '0') results.add(false);
      else throw invalidParameter(`invalid filter '${key}=${v}'`);
    }
    if (results.size > 1) throw invalidParameter(`invalid filter '${key}': conflicting values`);
    return results.has(true);
  }
}
