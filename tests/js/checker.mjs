#!/usr/bin/env node
// An independent checker of a published shuangsuiji draw, written from the documentation alone
// (docs/algorithm.md, docs/ceremony.md, docs/plan.md, docs/inputs.md, docs/formats.md), with
// nothing but Node's built-in crypto, fs and path. It recomputes the seed, every ticket, the
// scope, exclusions, strata, multipliers, the exact allocation, the thresholds, every output table,
// the population's Merkle tree, commitment.json, manifest.json and any proof-*.json, and compares
// them byte for byte with the published files.
//
//   node tests/js/checker.mjs DRAW [POP.csv [HISTORY.csv]] [--population POP.csv] [--history H.csv] [--plan PLAN.toml]
//                                  [--allow-list A] [--commitment commitment.json] [--proof proof.json ...]
//
// Paths not given default to the ones manifest.json records (relative to DRAW). Prints one line
// per check, `ok NAME: detail` or `FAIL NAME: detail`, and exits 0 only when every check agrees.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// ------------------------------------------------------------------------------------------------
// Bytes, hashes, string order

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest();
const sha256hex = (buf) => sha256(buf).toString('hex');
const utf8 = (s) => Buffer.from(s, 'utf8');

/** Compare two strings by Unicode code points (the order of Python's str and of UTF-8 bytes). */
export function cmpCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // surrogates (astral code points) sort above U+E000..U+FFFF
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Compare two strings by UTF-16 code units (RFC 8785 key order). */
export function cmpUtf16(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------
// RFC 8785 (JSON Canonicalization Scheme), implemented here

export function jcsString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else {
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = s.charCodeAt(i + 1);
        if (!(d >= 0xdc00 && d <= 0xdfff)) throw new Error('lone surrogate in JSON string');
        out += s[i] + s[i + 1];
        i++;
        continue;
      }
      if (c >= 0xdc00 && c <= 0xdfff) throw new Error('lone surrogate in JSON string');
      out += s[i];
    }
  }
  return out + '"';
}

export function jcsNumber(x) {
  if (typeof x === 'bigint') return x.toString();
  if (!Number.isFinite(x)) throw new Error('RFC 8785 has no NaN or Infinity');
  if (Object.is(x, -0)) return '0';
  // ECMAScript Number::toString(10), which is what RFC 8785 section 3.2.2.3 prescribes.
  return String(x);
}

export function jcs(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return jcsNumber(v);
  if (typeof v === 'string') return jcsString(v);
  if (Array.isArray(v)) return '[' + v.map(jcs).join(',') + ']';
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(cmpUtf16);
    return '{' + keys.map((k) => jcsString(k) + ':' + jcs(v[k])).join(',') + '}';
  }
  throw new Error(`cannot canonicalise ${typeof v}`);
}

// Python's json.dumps(obj, indent=2, ensure_ascii=False) + "\n", keys in the given order: the
// layout of proof files (docs/formats.md).
function pyJsonString(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}
export function pyJsonIndent(v, ind = 0) {
  const pad = (k) => ' '.repeat(k);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pyJsonString(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => pad(ind + 2) + pyJsonIndent(x, ind + 2)).join(',\n') + '\n' + pad(ind) + ']';
  }
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  if (keys.length === 0) return '{}';
  return (
    '{\n' +
    keys.map((k) => pad(ind + 2) + pyJsonString(k) + ': ' + pyJsonIndent(v[k], ind + 2)).join(',\n') +
    '\n' +
    pad(ind) +
    '}'
  );
}

// ------------------------------------------------------------------------------------------------
// Exact rationals (BigInt)

const gcd = (a, b) => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};

export class Q {
  constructor(n, d = 1n) {
    n = BigInt(n);
    d = BigInt(d);
    if (d === 0n) throw new Error('division by zero');
    if (d < 0n) [n, d] = [-n, -d];
    const g = gcd(n, d) || 1n;
    this.n = n / g;
    this.d = d / g;
  }
  static of(x) {
    return x instanceof Q ? x : new Q(BigInt(x));
  }
  /** "0.05", "5", "1e-2", "1837/42618" */
  static parse(text) {
    const t = String(text).trim();
    let m = /^([+-]?\d+)\s*\/\s*(\d+)$/.exec(t);
    if (m) return new Q(BigInt(m[1]), BigInt(m[2]));
    m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
    if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw new Error(`not a decimal: ${text}`);
    const frac = m[3] || '';
    let n = BigInt((m[2] || '0') + frac);
    let d = 10n ** BigInt(frac.length);
    const e = m[4] ? parseInt(m[4], 10) : 0;
    if (e > 0) n *= 10n ** BigInt(e);
    else if (e < 0) d *= 10n ** BigInt(-e);
    return new Q(m[1] === '-' ? -n : n, d);
  }
  add(o) {
    o = Q.of(o);
    return new Q(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o) {
    o = Q.of(o);
    return new Q(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  mul(o) {
    o = Q.of(o);
    return new Q(this.n * o.n, this.d * o.d);
  }
  div(o) {
    o = Q.of(o);
    return new Q(this.n * o.d, this.d * o.n);
  }
  cmp(o) {
    o = Q.of(o);
    const l = this.n * o.d;
    const r = o.n * this.d;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  lt(o) {
    return this.cmp(o) < 0;
  }
  isZero() {
    return this.n === 0n;
  }
  floor() {
    const q = this.n / this.d;
    return this.n < 0n && q * this.d !== this.n ? q - 1n : q;
  }
  ceil() {
    const f = this.floor();
    return f * this.d === this.n ? f : f + 1n;
  }
  /** Terminating decimal when the denominator is 2^a 5^b, else p/q (docs/formats.md). */
  toString() {
    let d = this.d;
    let a = 0;
    let b = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      a++;
    }
    while (d % 5n === 0n) {
      d /= 5n;
      b++;
    }
    if (d !== 1n) return `${this.n}/${this.d}`;
    const k = Math.max(a, b);
    if (k === 0) return this.n.toString();
    const neg = this.n < 0n;
    const scaled = ((neg ? -this.n : this.n) * 10n ** BigInt(k)) / this.d;
    const s = scaled.toString().padStart(k + 1, '0');
    return (neg ? '-' : '') + s.slice(0, -k) + '.' + s.slice(-k);
  }
}
const qmin = (a, b) => (a.cmp(b) <= 0 ? a : b);
const qmax = (a, b) => (a.cmp(b) >= 0 ? a : b);

/** Python's repr(float): shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pyFloatRepr(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, es] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const decpt = parseInt(es, 10) + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return sign + '0.' + '0'.repeat(-decpt) + digits;
    if (decpt >= digits.length) return sign + digits + '0'.repeat(decpt - digits.length) + '.0';
    return sign + digits.slice(0, decpt) + '.' + digits.slice(decpt);
  }
  const e = decpt - 1;
  const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
  return sign + m + 'e' + (e < 0 ? '-' : '+') + String(Math.abs(e)).padStart(2, '0');
}

/** Python's repr(str), as used in exclusion details (docs/formats.md). */
export function pyStrRepr(s) {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

// ------------------------------------------------------------------------------------------------
// CSV (RFC 4180) in and out

export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [];
  let field = '';
  let inQuotes = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      inQuotes = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (inQuotes) throw new Error('CSV: unterminated quoted field');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  // trailing rows with nothing in them are dropped (docs/inputs.md)
  while (rows.length && rows[rows.length - 1].every((f) => f === '')) rows.pop();
  return rows;
}

function csvField(s) {
  s = String(s);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
/** UTF-8 with BOM, "\n" line ends, minimal quoting (docs/formats.md). */
export function writeCsv(header, rows) {
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(lines.join('\n') + '\n')]);
}

// ------------------------------------------------------------------------------------------------
// Minimal TOML (the subset plan files use: tables, arrays of tables, inline tables, arrays,
// strings, integers, floats, booleans, local dates)

class TomlDate {
  constructor(text) {
    this.text = text;
  }
}
class TomlFloat {
  constructor(text) {
    this.text = text;
  }
}

export function parseToml(src) {
  if (src.charCodeAt(0) === 0xfeff) src = src.slice(1);
  let i = 0;
  const root = {};
  let cur = root;
  const err = (msg) => {
    throw new Error(`TOML: ${msg} at line ${src.slice(0, i).split('\n').length}`);
  };
  const skipWs = () => {
    while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++;
  };
  const skipComment = () => {
    if (src[i] === '#') while (i < src.length && src[i] !== '\n') i++;
  };
  const skipAll = () => {
    for (;;) {
      skipWs();
      skipComment();
      if (src[i] === '\n' || src[i] === '\r') i++;
      else break;
    }
  };
  const basicString = () => {
    let multi = false;
    if (src.startsWith('"""', i)) {
      multi = true;
      i += 3;
      if (src[i] === '\n') i++;
      else if (src.startsWith('\r\n', i)) i += 2;
    } else i++;
    let out = '';
    for (;;) {
      if (i >= src.length) err('unterminated string');
      if (multi ? src.startsWith('"""', i) : src[i] === '"') {
        i += multi ? 3 : 1;
        return out;
      }
      const c = src[i];
      if (c === '\\') {
        const e = src[i + 1];
        const simple = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          out += String.fromCodePoint(parseInt(src.slice(i + 2, i + 2 + len), 16));
          i += 2 + len;
        } else if (multi && /[ \t\r\n]/.test(e)) {
          i++;
          while (/[ \t\r\n]/.test(src[i])) i++;
        } else err('bad escape');
      } else {
        if (!multi && c === '\n') err('newline in string');
        out += c;
        i++;
      }
    }
  };
  const literalString = () => {
    if (src.startsWith("'''", i)) {
      i += 3;
      if (src[i] === '\n') i++;
      const j = src.indexOf("'''", i);
      if (j < 0) err('unterminated string');
      const s = src.slice(i, j);
      i = j + 3;
      return s;
    }
    const j = src.indexOf("'", i + 1);
    if (j < 0) err('unterminated string');
    const s = src.slice(i + 1, j);
    i = j + 1;
    return s;
  };
  const key = () => {
    const parts = [];
    for (;;) {
      skipWs();
      if (src[i] === '"') parts.push(basicString());
      else if (src[i] === "'") parts.push(literalString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(src.slice(i, i + 200));
        if (!m) err('bad key');
        parts.push(m[0]);
        i += m[0].length;
      }
      skipWs();
      if (src[i] === '.') i++;
      else return parts;
    }
  };
  const value = () => {
    skipWs();
    const c = src[i];
    if (c === '"') return basicString();
    if (c === "'") return literalString();
    if (c === '[') {
      i++;
      const arr = [];
      for (;;) {
        skipAll();
        if (src[i] === ']') {
          i++;
          return arr;
        }
        arr.push(value());
        skipAll();
        if (src[i] === ',') i++;
        else if (src[i] !== ']') err('expected , or ]');
      }
    }
    if (c === '{') {
      i++;
      const t = {};
      skipWs();
      if (src[i] === '}') {
        i++;
        return t;
      }
      for (;;) {
        const k = key();
        if (src[i] !== '=') err('expected =');
        i++;
        setPath(t, k, value());
        skipWs();
        if (src[i] === ',') i++;
        else if (src[i] === '}') {
          i++;
          return t;
        } else err('expected , or }');
      }
    }
    const rest = src.slice(i, i + 64);
    let m = /^(true|false)(?![A-Za-z0-9_-])/.exec(rest);
    if (m) {
      i += m[0].length;
      return m[0] === 'true';
    }
    m = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)?/.exec(rest);
    if (m) {
      i += m[0].length;
      return new TomlDate(m[0]);
    }
    m = /^[+-]?(?:\d[\d_]*)(?:\.[\d_]+)?(?:[eE][+-]?\d+)?/.exec(rest);
    if (m) {
      i += m[0].length;
      const t = m[0].replace(/_/g, '');
      return /[.eE]/.test(t) ? new TomlFloat(t) : BigInt(t);
    }
    err('bad value');
  };
  const setPath = (obj, parts, v) => {
    let o = obj;
    for (const p of parts.slice(0, -1)) {
      if (!(p in o)) o[p] = {};
      o = o[p];
    }
    const last = parts[parts.length - 1];
    if (last in o) err(`duplicate key ${parts.join('.')}`);
    o[last] = v;
  };
  const tableAt = (parts, isArray) => {
    let o = root;
    parts.forEach((p, j) => {
      const lastPart = j === parts.length - 1;
      if (lastPart && isArray) {
        if (!(p in o)) o[p] = [];
        const t = {};
        o[p].push(t);
        o = t;
        return;
      }
      if (!(p in o)) o[p] = {};
      o = Array.isArray(o[p]) ? o[p][o[p].length - 1] : o[p];
    });
    return o;
  };
  for (;;) {
    skipAll();
    if (i >= src.length) return root;
    if (src.startsWith('[[', i)) {
      i += 2;
      const k = key();
      if (!src.startsWith(']]', i)) err('expected ]]');
      i += 2;
      cur = tableAt(k, true);
    } else if (src[i] === '[') {
      i++;
      const k = key();
      if (src[i] !== ']') err('expected ]');
      i++;
      cur = tableAt(k, false);
    } else {
      const k = key();
      if (src[i] !== '=') err('expected =');
      i++;
      setPath(cur, k, value());
    }
    skipWs();
    skipComment();
    if (i < src.length && src[i] !== '\n' && src[i] !== '\r') err('expected end of line');
  }
}

// ------------------------------------------------------------------------------------------------
// The plan in its normal form (every default spelt out: docs/formats.md, "The plan record")

const DEFAULT_STATUSES = ['注销', '吊销', '撤销', '迁出', 'deregistered', 'revoked', 'cancelled', 'moved_out'];

function decimalText(v) {
  // "0.10" -> "0.1"; a bare TOML number by its shortest decimal form (docs/plan.md)
  if (v instanceof TomlFloat) return Q.parse(pyFloatRepr(Number(v.text))).toString();
  if (typeof v === 'bigint') return v.toString();
  return Q.parse(v).toString();
}
function valueText(v) {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return v;
  throw new Error(`column value must be text or a whole number: ${String(v)}`);
}
const whole = (v) => (typeof v === 'bigint' ? Number(v) : v);

const ASSIGNMENT_DEFAULTS = {
  cross_station: false,
  daily_cap: 4,
  jurisdiction: 'region',
  relation_hops: 2,
  relations: [],
  rotation: 0,
  team_size: 2,
};

/** The plan record (docs/formats.md) and the plan's warnings. */
export function normalisePlan(raw) {
  const warnings = [];
  const credit = raw.credit || {};
  const creditColumn = credit.column ?? 'credit_class';
  const planFloor = raw.floor !== undefined ? decimalText(raw.floor) : '0.05';
  const table = (t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, decimalText(v)]));
  const planMult = {};
  for (const [col, t] of Object.entries(raw.multipliers || {})) planMult[col] = table(t);
  const assignment = { ...ASSIGNMENT_DEFAULTS };
  for (const [k, v] of Object.entries(raw.assignment || {})) assignment[k] = whole(v);
  const out = {
    assignment,
    credit: { classes: (credit.classes ?? ['A', 'B', 'C', 'D']).map(valueText), column: creditColumn },
    exclusions: {
      status_column: raw.exclusions?.status_column ?? 'status',
      statuses: (raw.exclusions?.statuses ?? DEFAULT_STATUSES).map(valueText),
    },
    floor: planFloor,
    id: raw.id,
  };
  if (credit.missing !== undefined) out.credit.missing = valueText(credit.missing);
  if (raw.title !== undefined) out.title = raw.title;
  for (const k of ['start', 'end']) if (raw[k] !== undefined) out[k] = raw[k] instanceof TomlDate ? raw[k].text : raw[k];
  out.tasks = (raw.tasks || []).map((t) => {
    const category = t.category ?? 'general';
    const strata = t.strata ?? [creditColumn];
    const own = {};
    for (const [col, tt] of Object.entries(t.multipliers || {})) {
      own[col] = table(tt);
      if (!strata.includes(col)) {
        warnings.push(
          `The 'multipliers.${col}' of task '${t.id}' do not apply: '${col}' is not among its strata ` +
            `[${strata.map(pyStrRepr).join(', ')}] (add it to 'strata' to weight by it).`,
        );
      }
    }
    // only the strata columns' tables, the task's own replacing the plan's
    const mult = {};
    for (const col of strata) {
      if (own[col]) mult[col] = own[col];
      else if (planMult[col]) mult[col] = planMult[col];
    }
    const task = {
      category,
      coordination: t.coordination ?? 'plan',
      department: t.department,
      floor: t.floor !== undefined ? decimalText(t.floor) : category === 'general' ? planFloor : '0',
      id: t.id,
      items: t.items,
      multipliers: mult,
      ratio: decimalText(t.ratio),
      strata,
      take_all: Object.fromEntries(Object.entries(t.take_all || {}).map(([c, vs]) => [c, vs.map(valueText)])),
      where: Object.fromEntries(Object.entries(t.where || {}).map(([c, vs]) => [c, vs.map(valueText)])),
    };
    for (const [k, v] of Object.entries(t)) if (!(k in task)) task[k] = whole(v);
    return task;
  });
  return { plan: out, warnings };
}

// ------------------------------------------------------------------------------------------------
// Inputs: population and history (docs/inputs.md)

// Headers are compared after NFKC, blanks removed, case ignored (docs/inputs.md, "Column names").
const POPULATION_ALIASES = {
  uscc: ['统一社会信用代码', '社会信用代码', '信用代码', 'TYXYDM', 'SHXYDM'],
  name: ['企业名称', '主体名称', '市场主体名称', '名称', 'QYMC', 'ZTMC'],
  department: ['检查部门', '部门', '所属部门'],
  station: ['所属监管所', '监管所'],
  region: ['行政区划', '行政区划代码', '所属区域'],
  regno: ['注册号', '营业执照注册号', '工商注册号', 'ZCH'],
  credit_class: ['信用风险分类', '信用风险类别', '信用等级'],
  risk_tier: ['风险等级', '风险分级'],
  industry: ['行业', '行业代码', '国民经济行业', 'HYDM'],
  status: ['登记状态', '经营状态', 'DJZT'],
  entity_type: ['主体类型', '市场主体类型', '企业类型', '企业类型名称', 'QYLX'],
};
const HISTORY_ALIASES = {
  uscc: POPULATION_ALIASES.uscc,
  department: POPULATION_ALIASES.department,
  date: ['检查日期', '日期'],
  kind: ['检查类型', '类型'],
};
const headerKey = (h) => h.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
function canonicalHeaders(headers, aliases) {
  const map = new Map();
  for (const [canon, names] of Object.entries(aliases)) {
    map.set(headerKey(canon), canon);
    for (const n of names) map.set(headerKey(n), canon);
  }
  const out = headers.map((h) => map.get(headerKey(h)) ?? h.trim());
  const seen = new Set();
  for (const h of out) {
    if (seen.has(h)) throw new Error(`two headers mean the column ${h}`);
    seen.add(h);
  }
  return out;
}

// "surrounding blanks are removed" (docs/inputs.md): Python's str.strip() set of whitespace.
const BLANKS = '\t\n\v\f\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
export function strip(s) {
  let a = 0;
  let b = s.length;
  while (a < b && BLANKS.includes(s[a])) a++;
  while (b > a && BLANKS.includes(s[b - 1])) b--;
  return s.slice(a, b);
}
const BLANKS_RE = new RegExp('[' + BLANKS.replace(/[\\\]^-]/g, '\\$&') + ']', 'g');
/** An entity's code: NFKC, blanks removed (docs/inputs.md, "Identities"). */
export const normaliseCode = (s) => s.normalize('NFKC').replace(BLANKS_RE, '');

function readTable(file, aliases) {
  const text = fs.readFileSync(file).toString('utf8');
  const rows = parseCsv(text);
  const header = canonicalHeaders(rows[0], aliases);
  return rows.slice(1).map((r) => {
    const o = {};
    header.forEach((h, j) => {
      o[h] = strip(r[j] ?? '');
    });
    return o;
  });
}

export function readPopulation(file) {
  const rows = readTable(file, POPULATION_ALIASES);
  const seen = new Set();
  return rows.map((r, j) => {
    const raw = r.uscc ? r.uscc : r.regno ?? '';
    const code = normaliseCode(raw);
    if (!code) throw new Error('an entity without a code');
    if (seen.has(code)) throw new Error(`code ${code} appears twice`);
    seen.add(code);
    return { code, cols: r, row: j + 2, changed: code !== raw };
  });
}

function isoDate(s) {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(s);
  if (!m) throw new Error(`not a date: ${s}`);
  return `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
}
export function readHistory(file) {
  if (!file) return [];
  return readTable(file, HISTORY_ALIASES).map((r) => ({
    code: normaliseCode(r.uscc),
    department: r.department,
    date: isoDate(r.date),
  }));
}
function addDays(iso, days) {
  const t = Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) + days * 86400000;
  return new Date(t).toISOString().slice(0, 10);
}

// ------------------------------------------------------------------------------------------------
// The draw (docs/algorithm.md)

export const ticket = (seed, scope, code) => sha256hex(utf8(`${seed}:${scope}:${code}`));

export const scopeOf = (plan, task) => (task.coordination === 'independent' ? `${plan.id}.${task.id}` : plan.id);

function inScope(entity, where) {
  for (const [col, values] of Object.entries(where)) {
    const v = entity.cols[col] ?? '';
    const hit = values.some((w) => (w.endsWith('*') ? v.startsWith(w.slice(0, -1)) : v === w));
    if (!hit) return false;
  }
  return true;
}

/** x_h(r) for every stratum, the final ratio and whether the floor bound (docs/algorithm.md, step 3). */
export function allocate(strata, ratio, floor, minimum) {
  const N = strata.reduce((s, h) => s + BigInt(h.population), 0n);
  const x = (r) =>
    strata.map((h) => (h.takeAll ? new Q(h.population) : qmin(new Q(h.population), r.mul(h.multiplier).mul(h.population))));
  const sum = (xs) => xs.reduce((a, b) => a.add(b), new Q(0n));
  let target = floor.mul(N);
  if (minimum !== undefined && minimum !== null) target = qmax(target, qmin(new Q(BigInt(minimum)), new Q(N)));
  let r = ratio;
  const binding = sum(x(ratio)).lt(target);
  if (binding) {
    // breakpoints 1/m_h above r; on each segment the sum is C + r * S
    const growing = strata.filter((h) => !h.takeAll && !h.multiplier.isZero());
    const bps = [...new Set(growing.map((h) => new Q(1n).div(h.multiplier)).filter((b) => ratio.lt(b)).map(String))]
      .map(Q.parse)
      .sort((a, b) => a.cmp(b));
    let lo = ratio;
    let found = null;
    for (const hi of [...bps, null]) {
      let C = new Q(0n);
      let S = new Q(0n);
      for (const h of strata) {
        if (h.takeAll) C = C.add(h.population);
        else if (h.multiplier.isZero()) continue;
        else if (new Q(1n).div(h.multiplier).cmp(lo) <= 0) C = C.add(h.population);
        else S = S.add(h.multiplier.mul(h.population));
      }
      if (!S.isZero()) {
        const rr = target.sub(C).div(S);
        if (ratio.lt(rr) && (hi === null || rr.cmp(hi) <= 0)) {
          found = rr;
          break;
        }
      }
      if (hi === null) break;
      lo = hi;
    }
    if (!found) throw new Error('the floor cannot be reached');
    r = found;
  }
  const quotas = x(r);
  const n = sum(quotas).ceil();
  const samples = quotas.map((q) => q.floor());
  let left = n - samples.reduce((a, b) => a + b, 0n);
  const order = strata
    .map((h, j) => j)
    .sort((a, b) => {
      const fa = quotas[a].sub(new Q(quotas[a].floor()));
      const fb = quotas[b].sub(new Q(quotas[b].floor()));
      return fb.cmp(fa) || cmpCodePoints(strata[a].label, strata[b].label);
    });
  for (const j of order) {
    if (left <= 0n) break;
    samples[j] += 1n;
    left -= 1n;
  }
  return { ratio: r, target, binding, quotas, samples: samples.map(Number), n: Number(n) };
}

function historyIndex(history) {
  const idx = new Map();
  for (const h of history) {
    const k = h.code + '\u0000' + h.department;
    if (!idx.has(k)) idx.set(k, []);
    idx.get(k).push(h.date);
  }
  return idx;
}

function exclusionOf(entity, plan, task, hist) {
  const statusCol = plan.exclusions.status_column;
  const status = entity.cols[statusCol] ?? '';
  if (status !== '' && plan.exclusions.statuses.includes(status)) {
    return { reason: 'status', detail: `status '${status}' is not operating` };
  }
  const dates = hist.get(entity.code + '\u0000' + task.department) || [];
  const D = task.exclude_inspected_within_days;
  if (D !== undefined && D !== null) {
    const cutoff = addDays(plan.start, -D);
    const hits = dates.filter((d) => d >= cutoff).sort();
    if (hits.length) {
      const last = hits[hits.length - 1];
      return {
        reason: 'cooldown',
        detail: `inspected by ${task.department} on ${last}, on or after ${cutoff} (cool-down of ${D} days before ${plan.start})`,
      };
    }
  }
  const K = task.annual_cap;
  if (K !== undefined && K !== null) {
    const year = plan.start.slice(0, 4);
    const count = dates.filter((d) => d.slice(0, 4) === year).length;
    if (count >= K) {
      return { reason: 'annual_cap', detail: `${count} inspections by ${task.department} in ${year} reach the annual cap of ${K}` };
    }
  }
  return null;
}

export function draw(plan, population, history, seed) {
  const hist = historyIndex(history);
  const ticketCache = new Map();
  const tickets = (scope) => {
    if (!ticketCache.has(scope)) {
      const m = new Map();
      for (const e of population) m.set(e.code, ticket(seed, scope, e.code));
      ticketCache.set(scope, m);
    }
    return ticketCache.get(scope);
  };
  const creditCol = plan.credit.column;
  return plan.tasks.map((task) => {
    const scope = scopeOf(plan, task);
    const tk = tickets(scope);
    let outOfScope = 0;
    const excluded = [];
    const strata = new Map();
    for (const e of population) {
      if (!inScope(e, task.where)) {
        outOfScope++;
        continue;
      }
      const ex = exclusionOf(e, plan, task, hist);
      if (ex) {
        excluded.push({ code: e.code, ...ex });
        continue;
      }
      const values = task.strata.map((col) => {
        let v = e.cols[col];
        if (v === undefined) throw new Error(`the population has no column ${col}`);
        if (col === creditCol && v === '' && plan.credit.missing !== undefined) v = plan.credit.missing;
        if (v === '') throw new Error(`entity ${e.code}: empty ${col}`);
        if (col === creditCol && !plan.credit.classes.includes(v)) throw new Error(`entity ${e.code}: credit class ${v}`);
        return v;
      });
      const label = task.strata.map((c, j) => `${c}=${values[j]}`).join('|');
      if (!strata.has(label)) strata.set(label, { label, values, members: [] });
      strata.get(label).members.push({ code: e.code, ticket: tk.get(e.code), name: e.cols.name ?? '' });
    }
    const list = [...strata.values()].sort((a, b) => cmpCodePoints(a.label, b.label));
    for (const h of list) {
      h.population = h.members.length;
      let m = new Q(1n);
      task.strata.forEach((col, j) => {
        const table = task.multipliers[col];
        if (!table) return;
        if (!(h.values[j] in table)) throw new Error(`no multiplier for ${col}=${h.values[j]}`);
        m = m.mul(Q.parse(table[h.values[j]]));
      });
      h.multiplier = m;
      h.takeAll = task.strata.some((col, j) => (task.take_all[col] || []).includes(h.values[j]));
    }
    const alloc = allocate(list, Q.parse(task.ratio), Q.parse(task.floor), task.minimum);
    list.forEach((h, j) => {
      h.quota = alloc.quotas[j];
      h.sample = alloc.samples[j];
      h.members.sort((a, b) => cmpUtf16(a.ticket, b.ticket) || cmpCodePoints(a.code, b.code));
      h.selected = h.members.slice(0, h.sample);
      h.threshold = h.sample ? h.selected[h.sample - 1].ticket : '';
    });
    excluded.sort((a, b) => cmpCodePoints(a.code, b.code));
    const eligible = list.reduce((s, h) => s + h.population, 0);
    return { task, scope, strata: list, excluded, outOfScope, eligible, alloc, tickets: tk };
  });
}

// ------------------------------------------------------------------------------------------------
// Published tables (docs/algorithm.md "Outputs", docs/formats.md)

const pyBool = (b) => (b ? 'True' : 'False');

export function tables(results) {
  const sel = [];
  const alloc = [];
  const exc = [];
  const sum = [];
  for (const r of results) {
    const t = r.task;
    for (const h of r.strata) {
      const p = pyFloatRepr(h.sample / h.population);
      for (const m of h.selected) sel.push([t.id, m.code, h.label, m.ticket, p, m.name, t.department]);
      alloc.push([t.id, h.label, h.population, h.sample, h.threshold, h.multiplier, r.alloc.ratio, pyBool(h.takeAll), h.quota]);
    }
    for (const e of r.excluded) exc.push([t.id, e.code, e.reason, e.detail]);
    const total = r.outOfScope + r.excluded.length + r.eligible;
    sum.push([
      t.id,
      t.department,
      t.category,
      t.coordination,
      total,
      r.outOfScope,
      r.excluded.length,
      r.eligible,
      r.strata.length,
      Q.parse(t.ratio),
      r.alloc.ratio,
      Q.parse(t.floor),
      r.alloc.target,
      pyBool(r.alloc.binding),
      r.alloc.n,
      r.eligible - r.alloc.n,
    ]);
  }
  return {
    'selection.csv': writeCsv(['task_id', 'uscc', 'stratum', 'ticket', 'inclusion_probability', 'name', 'department'], sel),
    'allocation.csv': writeCsv(
      ['task_id', 'stratum', 'population', 'sample', 'threshold', 'multiplier', 'ratio', 'take_all', 'quota'],
      alloc,
    ),
    'excluded.csv': writeCsv(['task_id', 'uscc', 'reason', 'detail'], exc),
    'summary.csv': writeCsv(
      [
        'task_id',
        'department',
        'category',
        'coordination',
        'population',
        'out_of_scope',
        'excluded',
        'eligible',
        'strata',
        'base_ratio',
        'ratio',
        'floor',
        'floor_target',
        'floor_binding',
        'sample',
        'not_selected',
      ],
      sum,
    ),
  };
}

export function taskRecords(results) {
  return results.map((r) => {
    const rec = {
      base_ratio: Q.parse(r.task.ratio).toString(),
      eligible: r.eligible,
      excluded: r.excluded.length,
      floor: Q.parse(r.task.floor).toString(),
      floor_binding: r.alloc.binding,
      id: r.task.id,
      out_of_scope: r.outOfScope,
      ratio: r.alloc.ratio.toString(),
      sample: r.alloc.n,
      scope: r.scope,
      strata: r.strata.map((h) => ({
        label: h.label,
        multiplier: h.multiplier.toString(),
        population: h.population,
        quota: h.quota.toString(),
        sample: h.sample,
        take_all: h.takeAll,
        threshold: h.threshold,
      })),
    };
    return rec;
  });
}

// ------------------------------------------------------------------------------------------------
// Merkle tree (RFC 6962) over the population's leaves (docs/ceremony.md, docs/formats.md)

/** The fields a leaf holds, for leaf format 1 ("rfc8785-json"): the code, every task's strata and
 * where columns, and the credit-class and status columns when the population has them. */
export function leafFields(plan, columns) {
  const f = new Set(['uscc']);
  for (const c of [plan.credit.column, plan.exclusions.status_column]) if (columns.has(c)) f.add(c);
  for (const t of plan.tasks) {
    for (const c of t.strata) f.add(c);
    for (const c of Object.keys(t.where)) f.add(c);
  }
  return [...f].sort(cmpCodePoints);
}

/** One entity's leaf text. Leaf formats are dispatched on the population record's leaf_format. */
export function leafText(format, fields, entity, plan) {
  const value = (f) => {
    if (f === 'uscc') return entity.code;
    const v = entity.cols[f] ?? '';
    // format 1 records the class the draw uses: an empty class becomes credit.missing
    if (f === plan.credit.column && v === '' && plan.credit.missing !== undefined) return plan.credit.missing;
    return v;
  };
  if (format === 'rfc8785-json') {
    const o = {};
    for (const f of fields) o[f] = value(f);
    return jcs(o);
  }
  if (format === 'shuangsuiji-leaf/2') {
    // format 2 (docs/ceremony.md): the same values, keys in RFC 8785 (UTF-16) order, and beside the
    // credit class the draw used the register's own value under "#register:" + the credit column
    const o = {};
    for (const f of fields) o[f] = value(f);
    if (fields.includes(plan.credit.column)) o['#register:' + plan.credit.column] = entity.cols[plan.credit.column] ?? '';
    return jcs(o);
  }
  throw new Error(`unknown leaf format ${format}`);
}

const leafHash = (leaf) => sha256(Buffer.concat([Buffer.from([0]), utf8(leaf)]));
const nodeHash = (l, r) => sha256(Buffer.concat([Buffer.from([1]), l, r]));
const splitPoint = (n) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
export function merkleRoot(hashes, lo = 0, hi = hashes.length) {
  const n = hi - lo;
  if (n === 0) return sha256(Buffer.alloc(0));
  if (n === 1) return hashes[lo];
  const k = splitPoint(n);
  return nodeHash(merkleRoot(hashes, lo, lo + k), merkleRoot(hashes, lo + k, hi));
}
export function auditPath(hashes, m, lo = 0, hi = hashes.length) {
  const n = hi - lo;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...auditPath(hashes, m, lo, lo + k), merkleRoot(hashes, lo + k, hi)];
  return [...auditPath(hashes, m - k, lo + k, hi), merkleRoot(hashes, lo, lo + k)];
}

// ------------------------------------------------------------------------------------------------
// Seed (docs/ceremony.md, "The seed: exact bytes")

export function deriveSeed(mode, commitmentBytes, beaconValue, secretHex) {
  const C = sha256(commitmentBytes);
  const B = utf8(strip(beaconValue));
  if (mode === 'commit-reveal') {
    return sha256hex(Buffer.concat([utf8('shuangsuiji-seed/1:commit-reveal'), Buffer.from([0]), Buffer.from(secretHex, 'hex'), C, B]));
  }
  return sha256hex(Buffer.concat([utf8('shuangsuiji-seed/1:beacon'), Buffer.from([0]), C, B]));
}

// ------------------------------------------------------------------------------------------------
// The command

const results = [];
function check(name, ok, detail = '') {
  results.push(ok);
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}${detail ? ': ' + detail : ''}`);
  return ok;
}
function firstDifference(a, b) {
  if (a.equals(b)) return '';
  const la = a.toString('utf8').split('\n');
  const lb = b.toString('utf8').split('\n');
  for (let j = 0; j < Math.max(la.length, lb.length); j++) {
    if (la[j] !== lb[j]) {
      const x = la[j] ?? '';
      const y = lb[j] ?? '';
      let k = 0;
      while (k < x.length && x[k] === y[k]) k++;
      const cut = (s) => (k > 40 ? '...' : '') + s.slice(Math.max(0, k - 40), k + 60) + (s.length > k + 60 ? '...' : '');
      return `line ${j + 1}, character ${k + 1}: published ${JSON.stringify(cut(x))} recomputed ${JSON.stringify(cut(y))}`;
    }
  }
  return `${a.length} vs ${b.length} bytes`;
}
function sameBytes(name, published, recomputed) {
  const diff = firstDifference(published, recomputed);
  return check(name, diff === '', diff || `identical (${published.length} bytes, SHA-256 ${sha256hex(published).slice(0, 16)}...)`);
}
const rel = (from, to) => path.relative(from, to).split(path.sep).join('/');

function docVectors() {
  // docs/algorithm.md, "Test vectors"
  const seed0 = '0'.repeat(64);
  const gv = sha256hex(utf8('shuangsuiji test vector'));
  const ok =
    ticket(seed0, 'P1', '91110000600037341L') === 'cf1b774fce8b7fdfe9906080d448e0edc49e7da5e77322effd4f05008aeefc39' &&
    gv === '33e944098cf4ef60379ce36c50cb01e7c39e5b77fb6601b6425657ba4b1d3e06' &&
    ticket(gv, 'GV-1', '9144030071526726XG') === '28861475e72fb5684169e9b5ec25ec0dd1d6a7250a32fc7e447f4cdeb931864d' &&
    ticket(gv, 'GV-1.T2', '91110000600037341L') === '0707b9b347934d2c0c8be4c97cb842841b2e14028c925d32ef25220833e1e38b';
  check('doc vectors: tickets', ok, 'the three tickets of docs/algorithm.md');
  const mk = (label, population, multiplier, takeAll = false) => ({ label, population, multiplier: Q.parse(multiplier), takeAll });
  const t1 = allocate(
    [mk('credit_class=A', 8, '0.5'), mk('credit_class=B', 7, '1'), mk('credit_class=C', 4, '2'), mk('credit_class=D', 1, '4', true)],
    Q.parse('0.1'),
    Q.parse('0.25'),
  );
  const t2 = allocate([mk('region=410302', 11, '1'), mk('region=410303', 9, '1')], Q.parse('0.5'), new Q(0n));
  check(
    'doc vectors: allocation',
    t1.ratio.toString() === '4/19' && t1.samples.join() === '1,1,2,1' && t2.samples.join() === '6,4',
    `T1 ratio ${t1.ratio} samples ${t1.samples.join(' ')}; T2 samples ${t2.samples.join(' ')}`,
  );
}

function main(argv) {
  const args = { proofs: [] };
  const pos = [];
  for (let j = 0; j < argv.length; j++) {
    const a = argv[j];
    if (a === '--proof') args.proofs.push(argv[++j]);
    else if (a.startsWith('--')) args[a.slice(2)] = argv[++j];
    else pos.push(a);
  }
  // also positionally: DRAW [POPULATION [HISTORY]]
  if (pos[1] && !args.population) args.population = pos[1];
  if (pos[2] && !args.history) args.history = pos[2];
  if (pos.length < 1 || pos.length > 3) {
    console.error('usage: node checker.mjs DRAW [POPULATION [HISTORY]] [--population P] [--history H] [--plan P] [--allow-list A] [--commitment C] [--proof F ...]');
    return 2;
  }
  const drawDir = pos[0];
  docVectors();

  const manifestBytes = fs.readFileSync(path.join(drawDir, 'manifest.json'));
  const manifest = JSON.parse(manifestBytes.toString('utf8'));
  const manifestHex = sha256hex(manifestBytes);
  const sealPath = path.join(drawDir, 'manifest.sha256');
  if (fs.existsSync(sealPath)) {
    sameBytes('manifest.sha256', fs.readFileSync(sealPath), utf8(`${manifestHex}  manifest.json\n`));
  }
  check('manifest canonical (RFC 8785)', jcs(manifest) === manifestBytes.toString('utf8'));
  check('algorithm', manifest.algorithm === 'shuangsuiji-draw/1', manifest.algorithm);

  const inputPath = (role) => {
    if (args[role === 'allow_list' ? 'allow-list' : role]) return args[role === 'allow_list' ? 'allow-list' : role];
    const rec = manifest.inputs?.[role];
    return rec ? path.join(drawDir, rec.path) : undefined;
  };
  const files = {
    population: inputPath('population'),
    plan: inputPath('plan'),
    history: inputPath('history'),
    allow_list: inputPath('allow_list'),
  };
  const inputs = {};
  for (const [role, file] of Object.entries(files)) {
    if (!file) continue;
    const digest = sha256hex(fs.readFileSync(file));
    inputs[role] = { path: rel(drawDir, file), sha256: digest };
    check(`input ${role}`, manifest.inputs?.[role]?.sha256 === digest, `${file} SHA-256 ${digest}`);
  }
  for (const [name, digest] of Object.entries(manifest.outputs || {})) {
    check(`output ${name} SHA-256`, sha256hex(fs.readFileSync(path.join(drawDir, name))) === digest, digest);
  }

  // The plan: recomputed from the plan file when there is one, else the manifest's.
  let plan = manifest.plan;
  let planWarnings = null;
  if (files.plan && fs.existsSync(files.plan)) {
    try {
      const normal = normalisePlan(parseToml(fs.readFileSync(files.plan, 'utf8')));
      const diff = firstDifference(utf8(jcs(manifest.plan)), utf8(jcs(normal.plan)));
      if (check('plan record (plan file in normal form)', !diff, diff || `${normal.plan.tasks.length} tasks`)) {
        plan = normal.plan;
        planWarnings = normal.warnings;
      }
    } catch (e) {
      check('plan record (plan file in normal form)', false, e.message);
    }
  }

  // Population, leaves and Merkle root.
  const population = readPopulation(files.population);
  const fields = leafFields(plan, new Set(Object.keys(population[0]?.cols ?? {})));
  const leafFormat = manifest.population?.leaf_format ?? 'rfc8785-json';
  const sorted = [...population].sort((a, b) => cmpCodePoints(a.code, b.code));
  const leaves = sorted.map((e) => leafText(leafFormat, fields, e, plan));
  const hashes = leaves.map(leafHash);
  const root = merkleRoot(hashes).toString('hex');
  const populationRecord = { leaf_fields: fields, leaf_format: leafFormat, merkle_root: root, rows: population.length };
  check('population record', jcs(populationRecord) === jcs(manifest.population), `${population.length} leaves, root ${root}`);

  // Seed.
  const seedRec = manifest.seed || {};
  let seed = seedRec.value;
  let commitmentBytes = null;
  let commitmentFile = args.commitment ?? (seedRec.commitment ? path.join(drawDir, seedRec.commitment.path) : null);
  if (seedRec.mode === 'seed') {
    check('seed', /^[0-9a-f]{64}$/.test(seed ?? ''), `given directly (${seed}): it could have been chosen`);
  } else {
    commitmentBytes = fs.readFileSync(commitmentFile);
    const commitment = JSON.parse(commitmentBytes.toString('utf8'));
    check('commitment SHA-256', sha256hex(commitmentBytes) === seedRec.commitment.sha256, seedRec.commitment.sha256);
    check('beacon as announced', commitment.beacon?.name === seedRec.beacon?.name, `${seedRec.beacon?.name}: ${seedRec.beacon?.value}`);
    if (seedRec.mode === 'commit-reveal') {
      const s = sha256hex(Buffer.from(seedRec.secret, 'hex'));
      check('secret matches its commitment', s === commitment.secret_sha256, `SHA-256(secret) ${s}`);
    }
    const derived = deriveSeed(seedRec.mode, commitmentBytes, seedRec.beacon.value, seedRec.secret);
    check(`seed (${seedRec.mode})`, derived === seed, derived);
    seed = derived;
    // commitment.json itself, byte for byte
    const cdir = path.dirname(commitmentFile);
    const cinputs = {};
    for (const [role, file] of Object.entries(files)) {
      if (file) cinputs[role] = { path: rel(cdir, file), sha256: inputs[role].sha256 };
    }
    const recomputed = {
      beacon: { name: commitment.beacon?.name },
      format: 'shuangsuiji-commitment/1',
      inputs: cinputs,
      library: manifest.library,
      plan,
      population: populationRecord,
      secret_sha256: seedRec.mode === 'commit-reveal' ? sha256hex(Buffer.from(seedRec.secret, 'hex')) : null,
    };
    sameBytes('commitment.json', commitmentBytes, utf8(jcs(recomputed)));
    const csha = path.join(cdir, 'commitment.sha256');
    if (fs.existsSync(csha)) sameBytes('commitment.sha256', fs.readFileSync(csha), utf8(`${sha256hex(commitmentBytes)}  commitment.json\n`));
  }

  // The draw and its tables.
  const history = readHistory(files.history);
  const drawn = draw(plan, population, history, seed);
  let ntickets = 0;
  let bad = 0;
  for (const r of drawn) {
    for (const h of r.strata) {
      for (const m of h.selected) {
        ntickets++;
        if (m.ticket > h.threshold) bad++;
      }
    }
  }
  check('tickets and thresholds', bad === 0, `${ntickets} selections, each at or below its stratum's threshold`);
  const out = tables(drawn);
  for (const [name, bytes] of Object.entries(out)) {
    const file = path.join(drawDir, name);
    if (!fs.existsSync(file)) check(name, false, 'missing');
    else sameBytes(name, fs.readFileSync(file), bytes);
  }
  const tasks = taskRecords(drawn);
  {
    const diff = firstDifference(utf8(jcs(manifest.tasks)), utf8(jcs(tasks)));
    const strata = tasks.reduce((s, t) => s + t.strata.length, 0);
    check('manifest tasks (allocation records)', !diff, diff || `${tasks.length} tasks, ${strata} strata`);
  }

  // The warnings (docs/formats.md, "warnings"): the plan's, then the population's.
  const warnings = [...(planWarnings ?? [])];
  const changed = population.filter((e) => e.changed);
  if (changed.length) {
    warnings.push(
      `${changed.length} codes held full-width characters or blanks and were normalised (NFKC, blanks removed; ` +
        `first: row ${Math.min(...changed.map((e) => e.row))}); correct them in the register.`,
    );
  }
  if (plan.credit.missing !== undefined && population.length && plan.credit.column in population[0].cols) {
    const unclassed = population.filter((e) => e.cols[plan.credit.column] === '');
    if (unclassed.length) {
      warnings.push(
        `${unclassed.length} entities have no credit class and were given class '${plan.credit.missing}' as the plan's ` +
          `'credit.missing' says (first: row ${Math.min(...unclassed.map((e) => e.row))}).`,
      );
    }
  }
  if (!files.history) {
    for (const t of plan.tasks) {
      if (t.exclude_inspected_within_days !== undefined || t.annual_cap !== undefined) {
        warnings.push(
          `Task ${pyStrRepr(t.id)} sets a cool-down or an annual cap but no inspection history was given; ` +
            'no entity was excluded for past inspections.',
        );
      }
    }
  }
  {
    const diff = firstDifference(utf8(jcs(manifest.warnings ?? [])), utf8(jcs(warnings)));
    check('manifest warnings', !diff, diff || `${warnings.length} warnings`);
  }

  // The whole manifest.
  const seedOut =
    seedRec.mode === 'seed'
      ? { mode: 'seed', value: seed }
      : {
          beacon: { name: seedRec.beacon.name, value: strip(seedRec.beacon.value) },
          commitment: { path: rel(drawDir, commitmentFile), sha256: sha256hex(commitmentBytes) },
          mode: seedRec.mode,
          ...(seedRec.mode === 'commit-reveal' ? { secret: seedRec.secret } : {}),
          value: seed,
        };
  const recomputedManifest = {
    algorithm: 'shuangsuiji-draw/1',
    format: 'shuangsuiji-manifest/1',
    inputs,
    library: manifest.library,
    outputs: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, sha256hex(v)]).sort((a, b) => cmpUtf16(a[0], b[0]))),
    plan,
    population: populationRecord,
    seed: seedOut,
    tasks,
    warnings,
  };
  if (manifest.year !== undefined) {
    // A year's batch (docs/year.md): its record needs the ledger view, which this checker does not read.
    check('year record', false, 'year batches are not recomputed by this checker');
    recomputedManifest.year = manifest.year;
  }
  sameBytes('manifest.json', manifestBytes, utf8(jcs(recomputedManifest)));

  // Proofs: every proof-*.json in the draw folder and those given.
  const proofFiles = [
    ...fs.readdirSync(drawDir).filter((f) => /^proof-.*\.json$/.test(f)).map((f) => path.join(drawDir, f)),
    ...args.proofs,
  ];
  const position = new Map(sorted.map((e, j) => [e.code, j]));
  for (const pf of proofFiles) {
    const published = fs.readFileSync(pf);
    const code = JSON.parse(published.toString('utf8')).uscc;
    const j = position.get(code);
    if (j === undefined) {
      check(`proof ${path.basename(pf)}`, false, `${code} is not in the population`);
      continue;
    }
    const ptasks = drawn.map((r) => {
      const t = { task_id: r.task.id, scope: r.scope, ticket: r.tickets.get(code) };
      const ex = r.excluded.find((e) => e.code === code);
      const h = r.strata.find((s) => s.members.some((m) => m.code === code));
      if (ex) Object.assign(t, { outcome: 'excluded', reason: ex.reason, detail: ex.detail });
      else if (h) {
        const sel = h.selected.some((m) => m.code === code);
        Object.assign(t, { outcome: sel ? 'selected' : 'not_selected', stratum: h.label, threshold: h.threshold });
      } else t.outcome = 'out_of_scope';
      return t;
    });
    const proof = {
      format: 'shuangsuiji-proof/1',
      manifest_sha256: manifestHex,
      uscc: code,
      leaf: leaves[j],
      leaf_index: j,
      tree_size: leaves.length,
      audit_path: auditPath(hashes, j).map((b) => b.toString('hex')),
      tasks: ptasks,
    };
    sameBytes(`proof ${path.basename(pf)}`, published, utf8(pyJsonIndent(proof) + '\n'));
  }

  const failed = results.filter((x) => !x).length;
  console.log(failed ? `FAILED: ${failed} of ${results.length} checks` : `AGREED: all ${results.length} checks`);
  return failed ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('checker.mjs')) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.log(`FAIL checker: ${e.stack || e.message}`);
    process.exitCode = 1;
  }
}
