// Reading a proof bundle's bytes (format v2, and v1 before it; docs/bundle.md) into checked
// parts, exactly as verify/bundle.py's Bundle.from_json reads them: strict JSON, the same
// limits and shapes, the same refusals (MalformedInput, step 0). Nothing is verified here.
// Version 2 adds `heads`: per chain, sorted by chain, the proof that its last record in the
// bundle is its head in the checkpoint's chain-head map (verify-headmap.js).

import { decodeBase64, decodeUtf8, hex } from "./verify-bytes.js";
import { MalformedInput, NoteInvalid } from "./verify-errors.js";
import { parseStrict } from "./verify-json.js";
import { MAX_HEAD_PROOF } from "./verify-headmap.js";
import { parseCheckpoint, parseNote } from "./verify-notes.js";

const LIMITS = {
  bundleBytes: 32 * 1024 * 1024,
  records: 10000,
  proof: 64,
  note: 32 * 1024,
  consistency: 8,
  record: 256 * 1024,
};
const VERSIONS = {
  1: ["checkpoint", "format", "lot", "records", "version"],
  2: ["checkpoint", "format", "heads", "lot", "records", "version"],
};
const LOT = /^[A-Za-z0-9._-]{1,40}$/;
const CHAIN = /^(?:lot|org)\/[A-Za-z0-9._-]{1,40}$/;

export function malformedIf(condition, reason) {
  if (condition) throw new MalformedInput(reason);
}

function checkpointOf(text) {
  malformedIf(
    typeof text !== "string" || text.length > LIMITS.note,
    `checkpoint must be a signed note of at most ${LIMITS.note} characters`,
  );
  try {
    const note = parseNote(text);
    return { note, checkpoint: parseCheckpoint(note.text) };
  } catch (error) {
    if (error instanceof NoteInvalid)
      throw new MalformedInput(`checkpoint is unreadable: ${error.reason}`);
    throw error;
  }
}

function listOf(value, what, limit) {
  malformedIf(!Array.isArray(value), `${what} must be a list`);
  malformedIf(value.length > limit, `${what} has ${value.length} entries, over ${limit}`);
  return value;
}

function hashes(value, what, limit = LIMITS.proof) {
  malformedIf(
    !Array.isArray(value) || value.length > limit,
    `${what} must be a list of at most ${limit} hashes`,
  );
  const decoded = value.map((item, i) => decodeBase64(item, `${what}[${i}]`, 32));
  decoded.forEach((item, i) =>
    malformedIf(item.length !== 32, `${what}[${i}] is ${item.length} bytes, not 32`),
  );
  return decoded;
}

function integer(value, what, low) {
  malformedIf(
    !Number.isSafeInteger(value) || value < low,
    `${what} must be an integer of ${low} or more`,
  );
  return value;
}

function sameKeys(value, keys) {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).sort().join() === keys.join()
  );
}

/** Parse a bundle's bytes into checked parts; raises MalformedInput (step 0). */
export function parseBundle(bytes) {
  malformedIf(bytes.length > LIMITS.bundleBytes, `bundle is over ${LIMITS.bundleBytes} bytes`);
  const value = parseStrict(decodeUtf8(bytes, "bundle"), { what: "bundle" });
  malformedIf(
    value === null || typeof value !== "object" || Array.isArray(value),
    "bundle is not a JSON object",
  );
  malformedIf(
    value.format !== "agritrace-bundle" || !(value.version === 1 || value.version === 2),
    "not an agritrace-bundle bundle of version 1 or 2",
  );
  const { version } = value;
  const keys = Object.keys(value)
    .filter((k) => k !== "consistency")
    .sort();
  malformedIf(
    keys.join() !== VERSIONS[version].join(),
    `bundle fields wrong: ${keys.join(", ")}`,
  );
  malformedIf(
    typeof value.lot !== "string" || !LOT.test(value.lot),
    "lot must be a lot code of 1-40 letters, digits, '.', '_', '-'",
  );
  const { note, checkpoint } = checkpointOf(value.checkpoint);
  const entries = listOf(value.records, "records", LIMITS.records);
  malformedIf(entries.length === 0, "records is empty");
  const records = entries.map((entry, i) => {
    const at = `records[${i}]`;
    malformedIf(
      !sameKeys(entry, ["index", "proof", "record", "signature"]),
      `${at} must be an object of index, record, signature, proof`,
    );
    const raw = decodeBase64(entry.record, `${at}.record`, LIMITS.record);
    const signature = decodeBase64(entry.signature, `${at}.signature`, 64);
    malformedIf(
      raw.length === 0 || signature.length !== 64,
      `${at} needs record bytes and a 64-byte signature`,
    );
    return {
      index: integer(entry.index, `${at}.index`, 0),
      raw,
      signature,
      proof: hashes(entry.proof, `${at}.proof`),
    };
  });
  const seen = new Set();
  for (const record of records) {
    const key = hex(record.raw);
    malformedIf(seen.has(key), "a record appears twice");
    seen.add(key);
  }
  const heads = version === 2 ? headsOf(value.heads) : null;
  const consistency = new Map();
  listOf(
    "consistency" in value ? value.consistency : [],
    "consistency",
    LIMITS.consistency,
  ).forEach((entry, i) => {
    malformedIf(
      !sameKeys(entry, ["from", "proof"]),
      `consistency[${i}] must be an object of from and proof`,
    );
    const size = integer(entry.from, `consistency[${i}].from`, 1);
    malformedIf(consistency.has(size), `consistency[${i}]: a second proof from size ${size}`);
    consistency.set(size, hashes(entry.proof, `consistency[${i}].proof`));
  });
  return { version, lot: value.lot, note, checkpoint, records, heads, consistency };
}

/** A v2 bundle's head proofs: [{chain, seq, proof}], one per chain, sorted by chain. */
function headsOf(value) {
  const entries = listOf(value, "heads", LIMITS.records);
  const heads = entries.map((entry, i) => {
    const at = `heads[${i}]`;
    malformedIf(
      !sameKeys(entry, ["chain", "proof", "seq"]),
      `${at} must be an object of chain, seq, proof`,
    );
    malformedIf(
      typeof entry.chain !== "string" || !CHAIN.test(entry.chain),
      `${at}.chain must be lot/<code> or org/<id>`,
    );
    const before = i ? entries[i - 1].chain : null;
    const how = entry.chain === before ? "twice" : "out of order";
    malformedIf(
      before !== null && entry.chain <= before,
      `${at}: chain ${entry.chain} is listed ${how}; heads are sorted by chain, one entry each`,
    );
    return {
      chain: entry.chain,
      seq: integer(entry.seq, `${at}.seq`, 0),
      proof: hashes(entry.proof, `${at}.proof`, MAX_HEAD_PROOF),
    };
  });
  return heads;
}

/** The earlier checkpoint and its optional proof, parsed at the edge (step 0). */
export function parseSince(since) {
  try {
    const { note, checkpoint } = checkpointOf(since.checkpoint);
    return {
      note,
      old: checkpoint,
      supplied: since.proof ? hashes(since.proof, "consistency proof") : null,
    };
  } catch (error) {
    if (error instanceof MalformedInput)
      throw new MalformedInput(`the earlier checkpoint: ${error.reason}`);
    throw error;
  }
}
