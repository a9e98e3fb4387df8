// The chain-head map a checkpoint commits to in its `agritrace/heads` line, read as
// verify/headmap.py reads it: a sparse Merkle tree keyed by SHA-256 of the chain id, whose
// leaf for a chain is its head (seq, record hash) as of the checkpoint's tree size. A proof
// that a chain's last record in a bundle is that leaf shows the bundle holds the whole chain.
//
// key(chain) = SHA-256(chain as UTF-8); bit 0 is the most significant bit of byte 0; 0 = left.
// leaf = SHA-256(0x00 || key || seq as 8 bytes big-endian || record hash)
// node = SHA-256(0x01 || left || right); an empty subtree is 32 zero bytes; a subtree with
// one entry is that entry's leaf. A proof is the siblings from the leaf up (bottom first).

import { concat, equal, utf8 } from "./verify-bytes.js";

export const MAX_HEAD_PROOF = 256;
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
const EMPTY = new Uint8Array(32);

function seqBytes(seq) {
  const out = new Uint8Array(8);
  let rest = BigInt(seq);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(rest & 255n);
    rest >>= 8n;
  }
  return out;
}

export function chainKey(crypto, chain) {
  return crypto.sha256(utf8(chain));
}

export async function headLeaf(crypto, chain, seq, recordHash) {
  return crypto.sha256(concat(LEAF, await chainKey(crypto, chain), seqBytes(seq), recordHash));
}

function bit(key, depth) {
  return (key[depth >> 3] >> (7 - (depth & 7))) & 1;
}

/** Whether ``proof`` (at most 256 hashes, checked when parsed) shows that (seq, recordHash)
 * is the head of ``chain`` in the map of ``root``. A proof not in canonical form (its lowest
 * sibling empty: a lone leaf sits higher up) shows nothing. */
export async function headProofHolds(crypto, chain, seq, recordHash, proof, root) {
  if (proof.length > MAX_HEAD_PROOF) return false;
  if (proof.length > 0 && equal(proof[0], EMPTY)) return false;
  const key = await chainKey(crypto, chain);
  let h = await headLeaf(crypto, chain, seq, recordHash);
  for (const [i, sibling] of proof.entries()) {
    const depth = proof.length - 1 - i;
    h = await crypto.sha256(
      bit(key, depth) ? concat(NODE, sibling, h) : concat(NODE, h, sibling),
    );
  }
  return equal(h, root);
}
