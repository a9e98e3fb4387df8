// RFC 9162 section 2.1 Merkle proofs (https://www.rfc-editor.org/rfc/rfc9162#section-2.1),
// as verify/merkle.py: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right).
// Sizes and indices are BigInt: a checkpoint's tree size may exceed 2**53.

import { concat, equal, hex } from "./verify-bytes.js";
import { ProofInvalid, RootMismatch } from "./verify-errors.js";

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(crypto, entry) {
  return crypto.sha256(concat(LEAF, entry));
}

function nodeHash(crypto, left, right) {
  return crypto.sha256(concat(NODE, left, right));
}

function requireMatch(calculated, expected, what) {
  if (!equal(calculated, expected)) {
    throw new RootMismatch(`${what}: expected ${hex(expected)}, calculated ${hex(calculated)}`);
  }
}

/** Requires 0 <= index < size; raises ProofInvalid or RootMismatch. */
export async function verifyInclusion(crypto, index, size, leaf, proof, root) {
  if (!(index >= 0n && index < size)) {
    throw new ProofInvalid(`leaf index ${index} is outside a tree of size ${size}`);
  }
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const [i, p] of proof.entries()) {
    if (sn === 0n) throw new ProofInvalid(`inclusion proof is longer than ${i} hashes`);
    if (fn & 1n || fn === sn) {
      r = await nodeHash(crypto, p, r);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(crypto, r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofInvalid(`inclusion proof of ${proof.length} hashes is too short`);
  requireMatch(r, root, "inclusion proof root");
}

/** The tree (size2, root2) extends (size1, root1); requires 0 < size1 <= size2. */
export async function verifyConsistency(crypto, size1, size2, root1, root2, proof) {
  if (!(size1 > 0n && size1 <= size2)) {
    throw new ProofInvalid(`no consistency proof from size ${size1} to size ${size2}`);
  }
  if (size1 === size2) {
    if (proof.length) throw new ProofInvalid("consistency proof between equal sizes must be empty");
    requireMatch(root2, root1, "roots of equal size");
    return;
  }
  if (!proof.length) throw new ProofInvalid("consistency proof is empty");
  // A power-of-two old tree is a complete subtree, so the proof omits it: its root seeds.
  const path = (size1 & (size1 - 1n)) === 0n ? [root1, ...proof] : [...proof];
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ProofInvalid("consistency proof is too long");
    if (fn & 1n || fn === sn) {
      fr = await nodeHash(crypto, c, fr);
      sr = await nodeHash(crypto, c, sr);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = await nodeHash(crypto, sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofInvalid("consistency proof is too short");
  requireMatch(fr, root1, "consistency proof root1");
  requireMatch(sr, root2, "consistency proof root2");
}
