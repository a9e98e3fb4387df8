// C2SP signed notes, checkpoints and cosignatures (https://c2sp.org/signed-note,
// https://c2sp.org/tlog-checkpoint, https://c2sp.org/tlog-cosignature), Ed25519 only, read
// exactly as verify/notes.py, verify/checkpoints.py and verify/cosignatures.py read them.

import { concat, decodeBase64Validated, encodeBase64, utf8 } from "./verify-bytes.js";
import { BadSignature, MalformedInput, NoteInvalid } from "./verify-errors.js";

export const ED25519 = 0x01;
export const COSIGNATURE_V1 = 0x04;
const MAX_SIGNATURES = 100;
const PREFIX = "\u2014 "; // em dash, space
const CONTROL = /[\x00-\x09\x0b-\x1f]/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;
const HEX_ID = /^[0-9a-fA-F]{8}$/;
// Python's str.isspace(), so names are judged alike.
const SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

function canonicalBase64(text) {
  const raw = decodeBase64Validated(text);
  return raw !== null && encodeBase64(raw) === text ? raw : null;
}

function wellFormed(text) {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

function validName(name) {
  return (
    name.length > 0 &&
    !name.includes("+") &&
    !SPACE.test(name) &&
    !/[\x00-\x1f\ud800-\udfff]/.test(name)
  );
}

function checkText(text) {
  if (!wellFormed(text)) throw new NoteInvalid("note is not valid UTF-8");
  if (CONTROL.test(text) || !text.endsWith("\n")) {
    throw new NoteInvalid("note text has control characters or does not end in a newline");
  }
}

/** {text, signatures: [{name, keyId, signature}]}; no signature is checked. */
export function parseNote(signed) {
  checkText(signed);
  const split = signed.lastIndexOf("\n\n");
  if (split < 0 || split + 2 === signed.length)
    throw new NoteInvalid("note has no signature block");
  const lines = signed.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_SIGNATURES)
    throw new NoteInvalid(`note has more than ${MAX_SIGNATURES} signatures`);
  return { text: signed.slice(0, split + 1), signatures: lines.map(parseSignatureLine) };
}

function parseSignatureLine(line) {
  const rest = line.startsWith(PREFIX) ? line.slice(PREFIX.length) : line;
  const space = rest.indexOf(" ");
  const name = space < 0 ? rest : rest.slice(0, space);
  const raw =
    space < 0 ? new Uint8Array() : (canonicalBase64(rest.slice(space + 1)) ?? new Uint8Array());
  if (!line.startsWith(PREFIX) || !validName(name) || raw.length < 5) {
    throw new NoteInvalid(`malformed signature line ${JSON.stringify(line.slice(0, 60))}`);
  }
  const keyId = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
  return { name, keyId, signature: raw.slice(4) };
}

/** {origin, size (BigInt), rootHash, extensions} from a checkpoint note's text. */
export function parseCheckpoint(text) {
  checkText(text);
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || !DECIMAL.test(lines[1])) {
    throw new NoteInvalid("checkpoint needs origin, decimal tree size and root hash");
  }
  const root = canonicalBase64(lines[2]);
  if (root === null) throw new NoteInvalid("checkpoint root hash is not base64");
  if (root.length !== 32) throw new NoteInvalid("checkpoint root hash is not 32 bytes");
  const size = BigInt(lines[1]);
  const named = [lines[0], ...lines.slice(3)];
  if (named.some((line) => !line || CONTROL.test(line))) {
    throw new NoteInvalid("checkpoint origin and extension lines must be non-empty lines");
  }
  if (size >= 2n ** 64n) throw new NoteInvalid("checkpoint size or root hash out of range");
  return { origin: lines[0], size, rootHash: root, extensions: lines.slice(3) };
}

export const HEADS_LINE = "agritrace/heads";
export const TIME_LINE = "agritrace/time";
const MAX_SIGNED_TIME = 2n ** 63n - 1n;

/** The value of a checkpoint's extension line ``name value`` (null without one); raises
 * NoteInvalid when there are two (verify/checkpoints.py). */
export function extensionValue(checkpoint, name) {
  const values = checkpoint.extensions
    .filter((line) => line === name || line.startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1));
  if (values.length > 1)
    throw new NoteInvalid(
      `the checkpoint has ${values.length} ${name} lines; at most one is allowed`,
    );
  return values.length ? values[0] : null;
}

/** The chain-head map root of the ``agritrace/heads`` line, or null; NoteInvalid for two
 * such lines or a value that is not a 32-byte hash in canonical base64. */
export function headsRoot(checkpoint) {
  const value = extensionValue(checkpoint, HEADS_LINE);
  if (value === null) return null;
  const raw = canonicalBase64(value);
  if (raw === null || raw.length !== 32)
    throw new NoteInvalid(`the checkpoint's ${HEADS_LINE} line is not a 32-byte hash in base64`);
  return raw;
}

/** Check the ``agritrace/time`` line: at most one, a decimal below 2**63. */
export function checkSignedTime(checkpoint) {
  const value = extensionValue(checkpoint, TIME_LINE);
  if (value !== null && !(DECIMAL.test(value) && BigInt(value) <= MAX_SIGNED_TIME)) {
    throw new NoteInvalid(
      `the checkpoint's ${TIME_LINE} line is not a decimal POSIX time: ${JSON.stringify(value.slice(0, 30))}`,
    );
  }
}

async function noteKeyId(crypto, name, type, key) {
  const digest = await crypto.sha256(concat(utf8(name + "\n"), Uint8Array.of(type), key));
  return ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
}

/** A verifier key ``name+hexid+base64(type || key)``; raises MalformedInput. */
export async function parseVkey(crypto, vkey) {
  const [name, hexId, encoded] = splitTwice(vkey.trim(), "+");
  const raw = canonicalBase64(encoded) ?? new Uint8Array();
  if (!(validName(name) && HEX_ID.test(hexId) && raw.length === 33)) {
    throw new MalformedInput(`malformed key for ${JSON.stringify(name)}`);
  }
  if (raw[0] !== ED25519 && raw[0] !== COSIGNATURE_V1) {
    throw new MalformedInput(`key ${JSON.stringify(name)} has unknown signature type ${raw[0]}`);
  }
  const key = { name, type: raw[0], publicKey: raw.slice(1) };
  key.keyId = await noteKeyId(crypto, name, key.type, key.publicKey);
  if (key.keyId !== parseInt(hexId, 16)) {
    throw new MalformedInput(`key id ${hexId} does not match key ${JSON.stringify(name)}`);
  }
  return key;
}

function splitTwice(text, separator) {
  const first = text.indexOf(separator);
  if (first < 0) return [text, "", ""];
  const second = text.indexOf(separator, first + 1);
  if (second < 0) return [text.slice(0, first), text.slice(first + 1), ""];
  return [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
}

async function checkSignature(crypto, note, sig, key) {
  if (key.type === ED25519) {
    if (sig.signature.length !== 64)
      throw new BadSignature(`signature by ${sig.name} is not 64 bytes`);
    if (!(await crypto.verifyEd25519(key.publicKey, sig.signature, utf8(note.text)))) {
      throw new BadSignature(`signature by ${key.name} does not verify`);
    }
    return;
  }
  if (sig.signature.length !== 72)
    throw new BadSignature(`cosignature by ${sig.name} is not 72 bytes`);
  parseCheckpoint(note.text);
  let timestamp = 0n;
  for (const byte of sig.signature.slice(0, 8)) timestamp = (timestamp << 8n) | BigInt(byte);
  if (timestamp >= 2n ** 63n)
    throw new NoteInvalid(`cosignature timestamp ${timestamp} out of range`);
  const message = utf8(`cosignature/v1\ntime ${timestamp}\n${note.text}`);
  if (!(await crypto.verifyEd25519(key.publicKey, sig.signature.slice(8), message))) {
    throw new BadSignature(`signature by ${key.name} does not verify`);
  }
}

/** The known keys whose signatures on ``note`` verify, in signature order; every signature
 * by a known key must verify (BadSignature); unknown signatures are ignored. */
export async function verifiedSigners(crypto, note, keys) {
  const known = new Map();
  for (const key of keys) {
    const id = `${key.name}+${key.keyId}`;
    if (known.has(id)) throw new MalformedInput(`ambiguous key ${key.name}`);
    known.set(id, key);
  }
  const found = [];
  for (const sig of note.signatures) {
    const key = known.get(`${sig.name}+${sig.keyId}`);
    if (key !== undefined) {
      await checkSignature(crypto, note, sig, key);
      if (!found.includes(key)) found.push(key);
    }
  }
  return found;
}
