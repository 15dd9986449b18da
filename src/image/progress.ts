// docker's JSON progress messages (pull, push, load, import) and the
// `progress` bar string dockerd puts in them, as the docker CLI's
// jsonmessage package defines them. Exported for the berth CLI, which draws
// the same bars.

/** go-units HumanSize: 4 significant digits, decimal (1000) units. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

const decimalUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's `%.<p>g`: p significant digits, no trailing zeros, exponent form only for huge/tiny values. */
export function goFormatG(value: number, precision: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const exp = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(precision)))));
  if (exp < -4 || exp >= precision) {
    let [mant, e] = value.toExponential(precision - 1).split('e') as [string, string];
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  let s = value.toPrecision(precision);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  let v = size;
  while (v >= 1000 && i < decimalUnits.length - 1) {
    v /= 1000;
    i++;
  }
  return `${goFormatG(v, precision)}${decimalUnits[i]}`;
}

/** go-units BytesSize: binary (1024) units, `%.4g`. */
export function bytesSize(size: number): string {
  let i = 0;
  let v = size;
  while (v >= 1024 && i < binaryUnits.length - 1) {
    v /= 1024;
    i++;
  }
  return `${goFormatG(v, 4)}${binaryUnits[i]}`;
}

export interface ProgressDetail {
  current?: number;
  total?: number;
  units?: string;
  hidecounts?: boolean;
  start?: number;
}

/**
 * jsonmessage.JSONProgress.String(): `[=====>      ] 1.2MB/4.5MB` (the bar is
 * drawn when the width is over 110 columns; dockerd formats with width 200;
 * the time left is shown only when `start` is known and width > 50).
 */
export function formatProgress(p: ProgressDetail, width = 200, nowSeconds = Date.now() / 1000): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  const units = p.units ?? '';
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) {
    return units === '' ? humanSize(current).padStart(8) : `${current} ${units}`;
  }
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (width > 110) {
    const spaces = Math.max(0, 50 - percentage);
    bar = `[${'='.repeat(percentage)}>${' '.repeat(spaces)}] `;
  }
  let numbers = '';
  if (p.hidecounts) {
    numbers = '';
  } else if (units === '') {
    const cur = humanSize(current);
    numbers = `${cur.padStart(8)}/${humanSize(total)}`;
    if (current > total) numbers = cur.padStart(8);
  } else {
    numbers = `${current}/${total} ${units}`;
    if (current > total) numbers = `${current} ${units}`;
  }
  let timeLeft = '';
  if (current > 0 && p.start !== undefined && p.start > 0 && percentage < 50 && width > 50) {
    const fromStart = Math.max(0, nowSeconds - p.start);
    const left = Math.trunc(((total - current) * fromStart) / current);
    timeLeft = ' ' + goDuration(left);
  }
  return bar + numbers + timeLeft;
}

/** Go's time.Duration.String() for whole seconds: 0s, 45s, 1m30s, 2h0m5s. */
export function goDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.trunc(seconds / 3600);
  const m = Math.trunc((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** One message of docker's JSON progress stream. */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  stream?: string;
  errorDetail?: { code?: number; message: string };
  error?: string;
  aux?: unknown;
}

/** Where progress messages go: an HTTP stream in the API, a collector in tests. */
export type ProgressSink = (msg: JsonMessage) => void | Promise<void>;

/** dockerd's progress line for a byte count: status with current/total and the bar string. */
export function progressMessage(id: string, status: string, current: number, total: number): JsonMessage {
  const detail: ProgressDetail = { current, total };
  return { status, progressDetail: detail, progress: formatProgress(detail), id };
}

export function statusMessage(id: string | undefined, status: string): JsonMessage {
  return id === undefined ? { status } : { status, progressDetail: {}, id };
}

export function errorMessage(message: string): JsonMessage {
  return { errorDetail: { message }, error: message };
}

/**
 * Rate-limit progress updates per id (dockerd sends at most one every 100ms
 * per layer, plus the final one), so a fast transfer doesn't flood the client.
 */
export class ProgressThrottle {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs = 100) {}
  due(id: string, final = false): boolean {
    const now = Date.now();
    const prev = this.last.get(id) ?? 0;
    if (!final && now - prev < this.intervalMs) return false;
    this.last.set(id, now);
    return true;
  }
}
