// The phone's own Ed25519 key. WebCrypto first: the private key is made non-extractable and
// kept in IndexedDB as a CryptoKey, so no script can read its bytes. Where WebCrypto or its
// Ed25519 is missing (an older in-app browser, a page that is not a secure context), the
// vendored @noble/ed25519 makes the key instead; its private key is then kept as bytes.

import { concat, hex, utf8 } from "../verify-bytes.js";

const RECORD_CONTEXT = utf8("agritrace/record/v1\n");
const KEY_CONTEXT = utf8("agritrace/key/v1\n");

let nobleModules;
async function noble() {
  nobleModules ??= Promise.all([
    import("../vendor/noble-ed25519/index.js"),
    import("../vendor/noble-hashes/sha2.js"),
  ]).then(([ed, sha2]) => {
    ed.hashes.sha512 = sha2.sha512;
    return { ed, sha2 };
  });
  return nobleModules;
}

export async function sha256(bytes) {
  if (globalThis.crypto?.subtle) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  return (await noble()).sha2.sha256(bytes);
}

/** A new key pair: { kind, publicKey (32 bytes), privateKey (CryptoKey) | secret (bytes) }. */
export async function newKey(preference = "auto") {
  if (preference !== "noble" && globalThis.crypto?.subtle) {
    try {
      const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
      const probe = utf8("agritrace probe");
      const signature = await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, probe);
      if (await crypto.subtle.verify({ name: "Ed25519" }, pair.publicKey, signature, probe)) {
        return { kind: "webcrypto", publicKey, privateKey: pair.privateKey };
      }
    } catch {
      // no Ed25519 in this browser's WebCrypto: the fallback below
    }
  }
  const { ed } = await noble();
  const secret = ed.utils.randomSecretKey();
  return { kind: "noble", publicKey: ed.getPublicKey(secret), secret };
}

export async function sign(device, message) {
  if (device.kind === "webcrypto") {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, device.privateKey, message));
  }
  return (await noble()).ed.sign(message, device.secret);
}

/** Sign a record's hash in the record signing context (docs/records.md). */
export function signRecordHash(device, hashBytes) {
  return sign(device, concat(RECORD_CONTEXT, hashBytes));
}

export async function keyId(publicKey) {
  return hex((await sha256(concat(KEY_CONTEXT, publicKey))).slice(0, 8));
}

/** The key-possession message (verify/keys.py): the new key signs it to be registered. */
export function possessionMessage(org, id) {
  return utf8(`agritrace/key-possession/v1\n${org}\n${id}`);
}
