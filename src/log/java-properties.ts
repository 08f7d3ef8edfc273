/**
 * The part of Java's `.properties` format that Kafka's files use (meta.properties is
 * written by `java.util.Properties.store`). No parser package is installed, so this is a
 * small one that follows `Properties.load`: comments start with `#` or `!`, a key ends at
 * the first unescaped `=`, `:` or whitespace, a line ending in an odd number of
 * backslashes continues on the next one, and `\t \n \r \f \uXXXX` are escapes (any other
 * escaped character stands for itself).
 */

/** Reads `key=value` pairs; later keys override earlier ones, as in Java. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const { key, value } = splitKeyValue(line);
    out.set(unescape(key), unescape(value));
  }
  return out;
}

/** Natural lines joined across continuations, without comments and blank lines. */
function logicalLines(text: string): string[] {
  const natural = text.split(/\r\n|\r|\n/);
  const lines: string[] = [];
  let pending: string | null = null;
  for (const raw of natural) {
    // Leading whitespace is dropped from every natural line, continuations included.
    const line = raw.replace(/^[ \t\f]+/, '');
    if (pending === null && (line === '' || line[0] === '#' || line[0] === '!')) continue;
    const joined: string = (pending ?? '') + line;
    if (endsWithContinuation(joined)) {
      pending = joined.slice(0, -1);
    } else {
      lines.push(joined);
      pending = null;
    }
  }
  if (pending !== null) lines.push(pending);
  return lines;
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function splitKeyValue(line: string): { key: string; value: string } {
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
    i++;
  }
  const key = line.slice(0, Math.min(i, line.length));
  let j = i;
  while (j < line.length && (line[j] === ' ' || line[j] === '\t' || line[j] === '\f')) j++;
  if (j < line.length && (line[j] === '=' || line[j] === ':')) {
    j++;
    while (j < line.length && (line[j] === ' ' || line[j] === '\t' || line[j] === '\f')) j++;
  }
  return { key, value: line.slice(j) };
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i === s.length - 1) {
      out += c;
      continue;
    }
    const next = s[++i];
    if (next === 'u') {
      const hex = s.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex))
        throw new SyntaxError(`malformed \\uXXXX escape in ${JSON.stringify(s)}`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}

/**
 * Writes properties as `Properties.store(writer, "")` does on a current JDK: an empty
 * comment line, a date comment, then `key=value` lines sorted by key.
 */
export function serializeProperties(entries: Iterable<[string, string]>, date: Date): string {
  const lines = ['#', `#${javaDateString(date)}`];
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of sorted) lines.push(`${escape(key, true)}=${escape(value, false)}`);
  return `${lines.join('\n')}\n`;
}

function escape(s: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    switch (c) {
      case ' ':
        // Keys escape every space; values only a leading one (it would be trimmed on load).
        out += isKey || i === 0 ? '\\ ' : ' ';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\\':
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${c}`;
        break;
      default:
        out += c;
    }
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `java.util.Date.toString()` in UTC: "Tue Apr 09 12:00:00 UTC 2024". */
function javaDateString(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ` +
    `${date.getUTCFullYear()}`
  );
}
