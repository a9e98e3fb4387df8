// SHA-256 and Ed25519 for the browser verifier. WebCrypto where it works; where it is missing
// (pages that are not a secure context, older in-app browsers) or lacks Ed25519, the vendored
// pure-JavaScript @noble/hashes and @noble/ed25519 (MIT, ./vendor/), verifying with
// { zip215: false }: strict RFC 8032, as the Python verifier (OpenSSL) does.
//
// Whether WebCrypto works is decided by a known answer: RFC 8032 section 7.1, test 1.

import { fromHex, hex, utf8 } from "./verify-bytes.js";

const TEST_KEY = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const TEST_SIGNATURE = fromHex(
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
);
const ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/** A provider: "auto" (WebCrypto if it passes the known answers, else noble), "webcrypto" or
 * "noble". Each has name, sha256(bytes) and verifyEd25519(publicKey, signature, message). */
export async function cryptoProvider(preference = "auto") {
  if (preference === "noble") return nobleProvider();
  const usable = await webCryptoWorks();
  if (usable) return webCryptoProvider();
  if (preference === "webcrypto") throw new Error("WebCrypto Ed25519 is not available here");
  return nobleProvider();
}

async function webCryptoWorks() {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return false;
  try {
    const digest = new Uint8Array(await subtle.digest("SHA-256", utf8("abc")));
    const key = await subtle.importKey("raw", TEST_KEY, { name: "Ed25519" }, false, ["verify"]);
    const good = await subtle.verify({ name: "Ed25519" }, key, TEST_SIGNATURE, new Uint8Array());
    const forged = TEST_SIGNATURE.slice();
    forged[0] ^= 1;
    const bad = await subtle.verify({ name: "Ed25519" }, key, forged, new Uint8Array());
    return hex(digest) === ABC_SHA256 && good === true && bad === false;
  } catch {
    return false;
  }
}

function webCryptoProvider() {
  const subtle = globalThis.crypto.subtle;
  const keys = new Map();
  return {
    name: "webcrypto",
    async sha256(bytes) {
      return new Uint8Array(await subtle.digest("SHA-256", bytes));
    },
    async verifyEd25519(publicKey, signature, message) {
      const id = hex(publicKey);
      try {
        let key = keys.get(id);
        if (key === undefined) {
          key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
          keys.set(id, key);
        }
        return await subtle.verify({ name: "Ed25519" }, key, signature, message);
      } catch {
        return false;
      }
    },
  };
}

async function nobleProvider() {
  const [ed, sha2] = await Promise.all([
    import("./vendor/noble-ed25519/index.js"),
    import("./vendor/noble-hashes/sha2.js"),
  ]);
  ed.hashes.sha512 = sha2.sha512;
  const message = new Uint8Array();
  if (
    !ed.verify(TEST_SIGNATURE, message, TEST_KEY, { zip215: false }) ||
    hex(sha2.sha256(utf8("abc"))) !== ABC_SHA256
  ) {
    throw new Error("the vendored noble libraries failed their known-answer test");
  }
  return {
    name: "noble",
    async sha256(bytes) {
      return sha2.sha256(bytes);
    },
    async verifyEd25519(publicKey, signature, message) {
      try {
        return ed.verify(signature, message, publicKey, { zip215: false });
      } catch {
        return false;
      }
    },
  };
}
