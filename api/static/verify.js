// The browser verifier for agritrace proof bundles (formats v2 and v1, docs/bundle.md): the
// same checks as the Python verifier (verify/verification.py), in the same numbered steps,
// with the same error classes, so both give one verdict for one bundle.
//
// 0. parse: strict JSON, limits, shapes, duplicates, the checkpoint's extension lines
//    (MalformedInput);
// 1. the checkpoint is signed by a pinned log key named after its origin;
// 2. the cosignatures meet the witness policy;
// 3. each record, in leaf order: its inclusion proof gives the checkpoint's root, and its
//    bytes are a canonical record;
// 4. each record is signed by a key registered for its organisation and not revoked at its
//    position in the log;                                   } one replay in log order
// 5. every chain is complete, every link points at an earlier record in the bundle, the
//    lot's chain is present and every other lot is an ancestor of it;
// 6. optionally, the checkpoint is consistent with one seen before;
// 7. completeness (v2): each chain's last record in the bundle is that chain's head in the
//    map the checkpoint commits to, so no record was left out. A v1 bundle proves no such
//    thing and verifies with a warning.
//
// Then, from the verified records alone, the lot's state (verify-state.js) and the
// checkpoint's freshness: when the log signed it and when the witnesses cosigned it.
//
//   const result = await verifyBundle(bytes, { logKeys: [vkey] });  // throws on failure

import { fromHex, hex } from "./verify-bytes.js";
import { malformedIf, parseBundle, parseSince } from "./verify-bundle.js";
import { cryptoProvider } from "./verify-crypto.js";
import {
  ChainBroken,
  ChainIncomplete,
  LinkBroken,
  MalformedInput,
  NoteInvalid,
  ProofInvalid,
  VerificationError,
} from "./verify-errors.js";
import { headProofHolds } from "./verify-headmap.js";
import { leafHash, verifyConsistency, verifyInclusion } from "./verify-merkle.js";
import { asOf, checkpointTime, witnessTimes } from "./verify-freshness.js";
import {
  checkSignedTime,
  ED25519,
  HEADS_LINE,
  headsRoot,
  parseVkey,
  verifiedSigners,
} from "./verify-notes.js";
import { ChainVerifier, parseRecord } from "./verify-records.js";
import { deriveState } from "./verify-state.js";

export * from "./verify-errors.js";
export { cryptoProvider };

export const STEPS = {
  0: ["解析", "parse"],
  1: ["检查点签名", "checkpoint signature"],
  2: ["见证联署", "witness cosignatures"],
  3: ["收录证明", "inclusion proofs"],
  4: ["记录签名与密钥", "record signatures and keys"],
  5: ["链与关联", "chains and links"],
  6: ["与先前检查点一致", "consistency with an earlier checkpoint"],
  7: ["完整性", "completeness"],
};

export const V1_WARNING = "completeness not proven (bundle version 1) 未证明完整性";

async function atStep(step, check) {
  try {
    return await check();
  } catch (error) {
    if (error instanceof VerificationError) throw error.with({ step });
    throw error;
  }
}

async function verifyLogSignature(crypto, note, checkpoint, logKeys) {
  const named = logKeys.filter((key) => key.name === checkpoint.origin);
  if (!named.length)
    throw new NoteInvalid(`the checkpoint is from log ${checkpoint.origin}, not a pinned log`);
  if (!(await verifiedSigners(crypto, note, named)).length) {
    throw new NoteInvalid(
      `the checkpoint carries no signature by the pinned key of ${checkpoint.origin}`,
    );
  }
}

async function included(crypto, bundle) {
  const { size, rootHash } = bundle.checkpoint;
  const parsed = [];
  for (const item of [...bundle.records].sort((a, b) => a.index - b.index)) {
    const digest = hex(await crypto.sha256(item.raw));
    try {
      await verifyInclusion(
        crypto,
        BigInt(item.index),
        size,
        await leafHash(crypto, item.raw),
        item.proof,
        rootHash,
      );
      parsed.push([await parseRecord(crypto, item.raw), item.signature]);
    } catch (error) {
      if (error instanceof VerificationError)
        throw error.with({ prefix: `leaf ${item.index}: `, record: digest });
      throw error;
    }
  }
  return parsed;
}

async function replay(crypto, records) {
  const verifier = new ChainVerifier(crypto);
  for (const [record, signature] of records) {
    try {
      await verifier.add(record, signature);
    } catch (error) {
      const step = error instanceof ChainBroken || error instanceof LinkBroken ? 5 : 4;
      if (error instanceof VerificationError) throw error.with({ step });
      throw error;
    }
  }
  return verifier.heads;
}

function checkLots(lot, records, heads) {
  const own = `lot/${lot}`;
  if (!heads.has(own)) throw new ChainBroken(`the bundle holds no record of lot ${lot}`);
  const chainOf = new Map(records.map(([r]) => [r.hashHex, r.chain]));
  const linksOf = new Map();
  for (const [r] of records) {
    if (!linksOf.has(r.chain)) linksOf.set(r.chain, new Set());
    for (const link of r.links) linksOf.get(r.chain).add(chainOf.get(link));
  }
  const reached = new Set([own]);
  const pending = [own];
  while (pending.length) {
    for (const parent of linksOf.get(pending.pop()) ?? []) {
      if (!reached.has(parent)) {
        reached.add(parent);
        pending.push(parent);
      }
    }
  }
  for (const [r] of records) {
    if (r.kind === "lot" && !reached.has(r.chain)) {
      throw new LinkBroken(
        `${r.chain}#${r.seq} (${r.type}): lot ${r.subject} is not an ancestor of lot ${lot}`,
        { record: r.hashHex },
      );
    }
  }
}

/** Step 7: the checkpoint commits to a chain-head map, and each chain's last record in the
 * bundle is its head there: one ``heads`` entry per chain, no more, whose proof gives the
 * map's root. A chain cut short fails, naming the chain and the head. */
async function checkComplete(crypto, bundle, heads) {
  const { checkpoint } = bundle;
  const root = headsRoot(checkpoint);
  if (root === null) {
    throw new NoteInvalid(
      `the checkpoint has no ${HEADS_LINE} line: a version 2 bundle needs the log's signed chain-head map root to show its chains whole`,
    );
  }
  checkSignedTime(checkpoint);
  const entries = new Map(bundle.heads.map((entry) => [entry.chain, entry]));
  const at = `checkpoint ${checkpoint.size}`;
  for (const chain of [...new Set([...heads.keys(), ...entries.keys()])].sort()) {
    const last = heads.get(chain);
    const head = entries.get(chain);
    if (last === undefined) {
      throw new ChainIncomplete(
        `heads lists chain ${chain} (seq ${head.seq}), but the bundle holds none of its records: it was left out`,
      );
    }
    const fail = (reason) => new ChainIncomplete(reason, { record: last.hash });
    if (head === undefined) {
      throw fail(
        `chain ${chain} has no heads entry: nothing shows that its last record in the bundle (seq ${last.seq}) is its head at ${at}`,
      );
    }
    if (head.seq > last.seq) {
      throw fail(
        `chain ${chain} is cut short: the bundle ends at seq ${last.seq}, its heads entry names seq ${head.seq} as the head at ${at}`,
      );
    }
    if (head.seq < last.seq) {
      throw fail(
        `the heads entry of chain ${chain} names seq ${head.seq}, but the bundle holds that chain up to seq ${last.seq}`,
      );
    }
    if (!(await headProofHolds(crypto, chain, last.seq, fromHex(last.hash), head.proof, root))) {
      throw fail(
        `the bundle's last record of chain ${chain} (seq ${last.seq}) is not that chain's head at ${at}`,
      );
    }
  }
}

async function verifySince(crypto, { note, old, supplied }, bundle, logKeys) {
  const now = bundle.checkpoint;
  if (old.origin !== now.origin)
    throw new NoteInvalid(`the earlier checkpoint is from log ${old.origin}`);
  await verifyLogSignature(crypto, note, old, logKeys);
  if (old.size <= now.size) {
    const proof =
      old.size === now.size ? [] : (supplied ?? bundle.consistency.get(Number(old.size)));
    if (!proof)
      throw new ProofInvalid(
        `the bundle has no consistency proof from tree size ${old.size} to ${now.size}`,
      );
    await verifyConsistency(crypto, old.size, now.size, old.rootHash, now.rootHash, proof);
  } else {
    if (!supplied)
      throw new ProofInvalid(
        `the bundle's checkpoint (size ${now.size}) is older than the one seen before (size ${old.size})`,
      );
    await verifyConsistency(crypto, now.size, old.size, now.rootHash, old.rootHash, supplied);
  }
  return Number(old.size);
}

async function pinnedKeys(crypto, logKeys, witnesses, minWitnesses) {
  const parse = (vkeys) => Promise.all(vkeys.map((vkey) => parseVkey(crypto, vkey)));
  const [logs, cosigners] = [await parse(logKeys), await parse(witnesses)];
  malformedIf(!logs.length, "pin at least one log key");
  malformedIf(
    logs.some((key) => key.type !== ED25519),
    "a log key is not an Ed25519 note key",
  );
  malformedIf(
    !Number.isInteger(minWitnesses) || minWitnesses < 0 || minWitnesses > cosigners.length,
    "min witnesses must be between 0 and the number of pinned witnesses",
  );
  return [logs, cosigners];
}

/** Verify a bundle's bytes. Options: logKeys (verifier key strings), witnesses, minWitnesses,
 * since ({checkpoint: signed note text, proof: [base64] or null}), crypto ("auto",
 * "webcrypto" or "noble"), now (milliseconds, for the checkpoint's age). Returns the result,
 * with the lot's derived state; throws a VerificationError naming the step (error.step) and
 * the first bad record (error.record). */
export async function verifyBundle(
  bytes,
  { logKeys, witnesses = [], minWitnesses = 0, since = null, crypto = "auto", now = Date.now() },
) {
  const provider = await cryptoProvider(crypto);
  const [logs, cosigners] = await atStep(0, () =>
    pinnedKeys(provider, logKeys, witnesses, minWitnesses),
  );
  const seen = since ? await atStep(0, () => parseSince(since)) : null;
  const bundle = await atStep(0, () => parseBundle(bytes));
  const { note, checkpoint } = bundle;
  await atStep(1, () => verifyLogSignature(provider, note, checkpoint, logs));
  const cosigned = await atStep(2, async () => {
    const names = (await verifiedSigners(provider, note, cosigners)).map((key) => key.name);
    if (names.length < minWitnesses)
      throw new NoteInvalid(
        `the checkpoint is cosigned by ${names.length} of the pinned witnesses; at least ${minWitnesses} required`,
      );
    return names;
  });
  const records = await atStep(3, () => included(provider, bundle));
  const heads = await replay(provider, records);
  await atStep(5, () => checkLots(bundle.lot, records, heads));
  const consistentWith = seen
    ? await atStep(6, () => verifySince(provider, seen, bundle, logs))
    : null;
  const complete = bundle.version === 2;
  if (complete) await atStep(7, () => checkComplete(provider, bundle, heads));
  const chains = [...heads.keys()].sort();
  const time = await atStep(1, () => checkpointTime(checkpoint));
  const signed = cosigners.filter((key) => cosigned.includes(key.name));
  const when = asOf(checkpoint, time, witnessTimes(note, signed), complete, now);
  return {
    valid: true,
    version: bundle.version,
    complete,
    warnings: complete ? [] : [V1_WARNING],
    lot: bundle.lot,
    records: records.length,
    lots: chains.filter((c) => c.startsWith("lot/")).map((c) => c.slice(4)),
    organisations: chains.filter((c) => c.startsWith("org/")).map((c) => c.slice(4)),
    checkpoint: {
      origin: checkpoint.origin,
      size: Number(checkpoint.size),
      root_hash: hex(checkpoint.rootHash),
    },
    witnesses: cosigned,
    consistent_with: consistentWith,
    freshness: { latest: when.latest, age_seconds: when.age_seconds },
    state: deriveState(
      records.map(([record]) => record),
      bundle.lot,
      when.json,
    ),
    crypto: provider.name,
  };
}

/** A failure as a plain object, like agritrace-verify --json. */
export function describeFailure(error) {
  const malformed = error instanceof MalformedInput;
  const step = Number(error.step ?? 0);
  return {
    valid: false,
    exit: malformed ? 2 : 1,
    error: error.name,
    step,
    step_name: STEPS[step][1],
    record: error.record ?? null,
    reason: error.reason ?? String(error),
  };
}
