// Records and their replay in log order, as verify/records.py and verify/chain.py: a record
// is RFC 8785 canonical JSON; each continues its chain, links to earlier records, and is
// signed by a key its organisation registered and had not revoked at that point.

import {
  concat,
  decodeBase64Validated,
  decodeUtf8,
  encodeBase64,
  equal,
  hex,
  utf8,
} from "./verify-bytes.js";
import {
  BadSignature,
  ChainBroken,
  LinkBroken,
  MalformedInput,
  NotCanonical,
  UnknownKey,
} from "./verify-errors.js";
import { parseStrict } from "./verify-json.js";

// A C2SP tlog-tiles entry holds at most 65,535 bytes; every record must fit one (as verify/records.py).
const MAX_RECORD_BYTES = 65535;
const FIELDS = [
  "chain",
  "data",
  "key",
  "links",
  "org",
  "prev",
  "recorded",
  "seq",
  "time",
  "type",
  "v",
];
const HASH_HEX = /^[0-9a-f]{64}$/;
const PATTERNS = {
  chain: /^(?:lot|org)\/[A-Za-z0-9._-]{1,40}$/u,
  type: /^[A-Z][A-Za-z]{1,39}$/u,
  time: /^\p{Nd}{4}-\p{Nd}\p{Nd}-\p{Nd}\p{Nd}T\p{Nd}\p{Nd}:\p{Nd}\p{Nd}:\p{Nd}\p{Nd}(?:\.\p{Nd}{1,6})?Z$/u,
};
PATTERNS.recorded = PATTERNS.time;
const KEY_RECORDS = new Set(["OrganisationRegistered", "KeyAdded", "KeyRotated", "KeyRevoked"]);
const SIGNING_CONTEXT = utf8("agritrace/record/v1\n");
const KEY_CONTEXT = utf8("agritrace/key/v1\n");
const ZERO_HASH = new Uint8Array(32);

/** RFC 8785 text of a value holding no floats: keys in UTF-16 order, as JSON.stringify writes
 * strings and integers. */
export function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
}

function checkValues(value) {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new MalformedInput(`integer ${value} is outside the safe range of RFC 8785`);
  }
  if (
    typeof value === "string" &&
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)
  ) {
    throw new MalformedInput("text contains a lone surrogate");
  }
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      checkValues(key);
      checkValues(value[key]);
    }
  }
}

/** Parse canonical record bytes; raises MalformedInput or NotCanonical. */
export async function parseRecord(crypto, raw) {
  if (raw.length > MAX_RECORD_BYTES)
    throw new MalformedInput(`record is ${raw.length} bytes, over ${MAX_RECORD_BYTES}`);
  const value = parseStrict(decodeUtf8(raw, "record"), {
    what: "record",
    duplicates: true,
    maxDepth: 900,
  });
  checkValues(value);
  if (!equal(utf8(canonical(value)), raw))
    throw new NotCanonical("bytes are not in RFC 8785 canonical form");
  const digest = await crypto.sha256(raw);
  const where = hex(digest);
  const fail = (reason) => new MalformedInput(reason, { record: where });
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw fail("record is not a JSON object");
  const keys = Object.keys(value).sort();
  if (keys.join() !== FIELDS.join()) throw fail("record fields wrong");
  if (value.v !== 1 && value.v !== true)
    throw fail(`unknown record version ${JSON.stringify(value.v)}`);
  if (typeof value.seq !== "number" || value.seq < 0)
    throw fail("seq must be a non-negative integer");
  if (!Array.isArray(value.links)) throw fail("links must be a list of hashes");
  for (const [name, pattern] of Object.entries(PATTERNS)) {
    if (typeof value[name] !== "string" || !pattern.test(value[name]))
      throw fail(`${name} is malformed`);
  }
  for (const name of ["org", "key"]) {
    if (typeof value[name] !== "string" || !value[name])
      throw fail(`${name} must be a non-empty string`);
  }
  if (value.data === null || typeof value.data !== "object" || Array.isArray(value.data))
    throw fail("data must be an object");
  const hashField = (text, name) => {
    if (typeof text !== "string" || !HASH_HEX.test(text))
      throw fail(`${name} must be 64 lowercase hex digits`);
    return text;
  };
  const [kind, subject] = [
    value.chain.split("/", 1)[0],
    value.chain.slice(value.chain.indexOf("/") + 1),
  ];
  return {
    raw,
    hash: digest,
    hashHex: where,
    chain: value.chain,
    kind,
    subject,
    seq: value.seq,
    prev: hashField(value.prev, "prev"),
    links: value.links.map((l) => hashField(l, "links")),
    type: value.type,
    time: value.time,
    recorded: value.recorded,
    data: value.data,
    org: value.org,
    key: value.key,
  };
}

async function keyId(crypto, publicKey) {
  return hex((await crypto.sha256(concat(KEY_CONTEXT, publicKey))).slice(0, 8));
}

function publicKeyOf(record) {
  const text = record.data.public_key;
  const raw = typeof text === "string" ? decodeBase64Validated(text) : null;
  if (raw === null || raw.length !== 32 || encodeBase64(raw) !== text) {
    throw new MalformedInput(`${where(record)}: public key must be 32 bytes of canonical base64`, {
      record: record.hashHex,
    });
  }
  return raw;
}

function where(record) {
  return `${record.chain}#${record.seq} (${record.type})`;
}

/** Verifies records given in log order; raises on the first bad one (verify/chain.py). */
export class ChainVerifier {
  constructor(crypto) {
    this.crypto = crypto;
    this.heads = new Map();
    this.seen = new Set();
    this.organisations = new Map(); // org -> { active: Map(keyId -> publicKey), revoked: Set }
  }

  async add(record, signature) {
    const fail = (Kind, reason) =>
      new Kind(`${where(record)}: ${reason}`, { record: record.hashHex });
    const head = this.heads.get(record.chain);
    const [seq, prev] = head === undefined ? [0, hex(ZERO_HASH)] : [head.seq + 1, head.hash];
    if (record.seq !== seq) throw fail(ChainBroken, `expected position ${seq} in ${record.chain}`);
    if (record.prev !== prev) {
      throw fail(
        ChainBroken,
        `prev ${record.prev.slice(0, 16)}… is not the hash of the previous record in ${record.chain}`,
      );
    }
    for (const link of record.links) {
      if (!this.seen.has(link))
        throw fail(LinkBroken, `links to ${link.slice(0, 16)}…, which is not an earlier record`);
    }
    const publicKey = await this.signingKey(record, fail);
    const message = concat(SIGNING_CONTEXT, record.hash);
    if (
      signature.length !== 64 ||
      !(await this.crypto.verifyEd25519(publicKey, signature, message))
    ) {
      throw fail(BadSignature, `signature by key ${record.key} does not verify`);
    }
    if (KEY_RECORDS.has(record.type) && record.kind === "org")
      await this.applyKeyRecord(record, fail);
    this.heads.set(record.chain, { seq: record.seq, hash: record.hashHex });
    this.seen.add(record.hashHex);
  }

  async signingKey(record, fail) {
    if (record.kind === "org") {
      if (record.subject !== record.org) {
        throw fail(
          UnknownKey,
          `organisation records must be signed by ${record.subject}, not ${record.org}`,
        );
      }
      if (record.type === "OrganisationRegistered") {
        if (record.seq !== 0 || this.organisations.has(record.org)) {
          throw fail(UnknownKey, `organisation ${record.org} is already registered`);
        }
        const raw = publicKeyOf(record);
        if ((await keyId(this.crypto, raw)) !== record.key) {
          throw fail(UnknownKey, "registration must be signed by the key it registers");
        }
        return raw;
      }
    }
    const keys = this.organisations.get(record.org);
    if (keys === undefined)
      throw fail(UnknownKey, `organisation ${record.org} is not registered earlier in the log`);
    const publicKey = keys.active.get(record.key);
    if (publicKey === undefined) {
      const state = keys.revoked.has(record.key) ? "was revoked" : "is not registered";
      throw fail(UnknownKey, `key ${record.key} ${state} for ${record.org} at this point`);
    }
    return publicKey;
  }

  async applyKeyRecord(record, fail) {
    if (!this.organisations.has(record.org))
      this.organisations.set(record.org, { active: new Map(), revoked: new Set() });
    const keys = this.organisations.get(record.org);
    if (record.type !== "KeyRevoked") {
      const raw = publicKeyOf(record);
      const id = await keyId(this.crypto, raw);
      if (keys.active.has(id) || keys.revoked.has(id))
        throw fail(UnknownKey, `key ${id} was registered before`);
      keys.active.set(id, raw);
    }
    let revoked = null;
    if (record.type === "KeyRotated") revoked = record.key;
    if (record.type === "KeyRevoked") {
      revoked = record.data.key_id;
      if (typeof revoked !== "string" || !keys.active.has(revoked)) {
        throw fail(
          UnknownKey,
          `revokes key ${JSON.stringify(revoked)}, which is not an active key`,
        );
      }
    }
    if (revoked !== null) {
      keys.active.delete(revoked);
      keys.revoked.add(revoked);
      if (keys.active.size === 0)
        throw fail(UnknownKey, `would leave ${record.org} without an active key`);
    }
  }
}
