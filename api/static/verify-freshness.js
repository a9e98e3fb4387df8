// Freshness, as verify/freshness.py reads it: when the log signed a bundle's checkpoint (its
// `agritrace/time` line) and when the pinned witnesses cosigned it (their cosignature/v1
// timestamps). A bundle proves what the log held then, no later; the age of what it proves
// is now minus the latest of those times, unknown without any. Times are whole POSIX seconds,
// written "2026-11-30T14:05:00Z"; none after 9999-12-31T23:59:59Z is written.

import { NoteInvalid } from "./verify-errors.js";
import { COSIGNATURE_V1, extensionValue, TIME_LINE } from "./verify-notes.js";

export const MAX_TIME = 253402300799; // 9999-12-31T23:59:59Z
const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;
// Python's \d: any Unicode decimal digit, as verify/freshness.py's parse_utc reads them.
const D2 = "(\\p{Nd}{2})";
const UTC = new RegExp(
  `^(\\p{Nd}{4})-${D2}-${D2}T${D2}:${D2}:${D2}(?:\\.\\p{Nd}{1,6})?Z$`,
  "u",
);
const DIGIT = /\p{Nd}/u;

/** The POSIX seconds of the checkpoint's ``agritrace/time`` line, or null without one;
 * NoteInvalid for a second line or a value that is not a decimal of at most MAX_TIME. */
export function checkpointTime(checkpoint) {
  const value = extensionValue(checkpoint, TIME_LINE);
  if (value === null) return null;
  if (!DECIMAL.test(value) || BigInt(value) > BigInt(MAX_TIME)) {
    const line = JSON.stringify(`${TIME_LINE} ${value}`.slice(0, 60));
    throw new NoteInvalid(
      `the checkpoint's ${TIME_LINE} line is not a time in POSIX seconds: ${line}`,
    );
  }
  return Number(value);
}

/** The timestamps of the cosignatures on ``note`` by ``witnesses`` (keys whose cosignatures
 * verified), earliest first; none after MAX_TIME. */
export function witnessTimes(note, witnesses) {
  const keys = new Set(
    witnesses.filter((key) => key.type === COSIGNATURE_V1).map((key) => `${key.name}+${key.keyId}`),
  );
  const times = [];
  for (const signature of note.signatures) {
    if (!keys.has(`${signature.name}+${signature.keyId}`) || signature.signature.length !== 72)
      continue;
    let moment = 0n;
    for (const byte of signature.signature.slice(0, 8)) moment = (moment << 8n) | BigInt(byte);
    if (moment <= BigInt(MAX_TIME)) times.push(Number(moment));
  }
  return times.sort((a, b) => a - b);
}

/** "2026-11-30T14:05:00Z" of POSIX seconds (0 to MAX_TIME). */
export function formatUtc(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function digitValue(char) {
  // Unicode's decimal digits come in runs of ten, 0 to 9, each run right after another or
  // after a character that is not one: a digit's value is its distance from its run's start.
  let code = char.codePointAt(0);
  let start = code;
  while (start > 0 && DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
  return (code - start) % 10;
}

function number(digits) {
  let value = 0;
  for (const char of digits) value = value * 10 + digitValue(char);
  return value;
}

/** Whole POSIX seconds of a time "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (the fraction dropped), or
 * null when ``text`` is not one or names no real moment. */
export function parseUtc(text) {
  const found = typeof text === "string" ? UTC.exec(text) : null;
  if (found === null) return null;
  const [year, month, day, hour, minute, second] = found.slice(1).map(number);
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30,
    31, 30, 31, 31, 30, 31, 30, 31];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > days[month - 1] || hour > 23 ||
      minute > 59 || second > 59)
    return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime() / 1000 + hour * 3600 + minute * 60 + second;
}

/** The checkpoint a derived state holds as of (verify/freshness.py AsOf.to_json), with the
 * latest of its times and its age in seconds at ``now`` (milliseconds). */
export function asOf(checkpoint, time, witnessSeconds, complete, now) {
  const known = [...witnessSeconds, ...(time === null ? [] : [time])];
  const latest = known.length ? Math.max(...known) : null;
  return {
    json: {
      origin: checkpoint.origin,
      size: Number(checkpoint.size),
      time: time === null ? null : formatUtc(time),
      witness_times: witnessSeconds.map(formatUtc),
      complete,
    },
    latest: latest === null ? null : formatUtc(latest),
    age_seconds: latest === null ? null : Math.floor(now / 1000) - latest,
  };
}
