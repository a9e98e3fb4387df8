// Bytes, text and base64 exactly as the Python verifier reads them: strict UTF-8, and
// base64 either "validated" (Python's b64decode(validate=True): padded, standard alphabet,
// padding bits ignored) or canonical (validated, and re-encoding gives the same text).

import { MalformedInput } from "./verify-errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VALUES = new Map([...ALPHABET].map((c, i) => [c, i]));
const VALIDATED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

export function utf8(text) {
  return encoder.encode(text);
}

/** Text from UTF-8 bytes; a byte-order mark is kept, as Python keeps it. */
export function decodeUtf8(bytes, what) {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new MalformedInput(`${what} is not UTF-8`);
  }
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function encodeBase64(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [18, 12, 6, 0].map((shift) => ALPHABET[(n >> shift) & 63]);
    const kept = Math.min(4, bytes.length - i + 1);
    out += chars.slice(0, kept).join("") + "=".repeat(4 - kept);
  }
  return out;
}

/** Python's b64decode(text, validate=True); null when it would raise. */
export function decodeBase64Validated(text) {
  if (typeof text !== "string" || !VALIDATED.test(text)) return null;
  const body = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const c of body) {
    value = (value << 6) | VALUES.get(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 255;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** Canonical base64 of at most ``limit`` bytes, or MalformedInput naming ``what``. */
export function decodeBase64(text, what, limit) {
  if (typeof text !== "string" || text.length > Math.floor((limit + 2) / 3) * 4) {
    throw new MalformedInput(`${what} must be base64 of at most ${limit} bytes`);
  }
  const raw = decodeBase64Validated(text);
  if (raw === null || encodeBase64(raw) !== text) {
    throw new MalformedInput(`${what} is not canonical base64`);
  }
  return raw;
}
