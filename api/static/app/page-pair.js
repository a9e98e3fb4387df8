// Pairing this phone: read the code (from the link's #fragment or typed), see which
// organisation it pairs to, make a key pair here, prove possession, redeem the code.

import { encodeBase64 } from "../verify-bytes.js";
import { call } from "./api.js";
import { keyId, newKey, possessionMessage, sign } from "./keys.js";
import { $, clearErrors, showError } from "./ui.js";

export async function start({ db }) {
  const form = $("pair-form");
  const code = $("pair-code");
  const fromLink = decodeURIComponent(location.hash.slice(1));
  if (fromLink) {
    code.value = fromLink;
    history.replaceState(null, "", location.pathname); // the code leaves the address bar
  }
  const peek = async () => {
    if (!code.value.trim()) return null;
    const answer = await call("/pairings/peek", { method: "POST", body: { code: code.value } });
    if (!answer.ok) {
      showError(form, "code", answer.body?.reason ?? `HTTP ${answer.status}`);
      return null;
    }
    $("pair-org").textContent = `配对到 pairs with: ${answer.body.name} (${answer.body.org}) · ${answer.body.label}`;
    return answer.body;
  };
  if (code.value) await peek().catch(() => {});
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const target = await peek();
      if (!target) return;
      const key = await newKey(document.body.dataset.crypto || "auto");
      const id = await keyId(key.publicKey);
      const proof = await sign(key, possessionMessage(target.org, id));
      const answer = await call("/pairings/redeem", {
        method: "POST",
        body: { code: code.value, public_key: encodeBase64(key.publicKey), possession: encodeBase64(proof) },
      });
      if (!answer.ok) {
        showError(form, answer.body?.field === "code" ? "code" : null, answer.body?.reason ?? `HTTP ${answer.status}`);
        return;
      }
      const device = {
        org: answer.body.org, orgName: target.name, label: target.label, keyId: answer.body.key_id,
        token: answer.body.token, tokenId: answer.body.token_id, kind: key.kind,
        publicKey: key.publicKey, privateKey: key.privateKey, secret: key.secret,
        paired: new Date().toISOString(),
      };
      await db.put("meta", device, "device");
      form.hidden = true;
      $("paired").hidden = false;
      $("paired-text").textContent = `${target.name} (${device.org}) · 密钥 key ${device.keyId} · ${key.kind === "webcrypto" ? "WebCrypto" : "noble"}`;
      document.body.dataset.paired = device.keyId;
    } catch (error) {
      showError(form, null, `配对失败 pairing failed: ${error.message ?? error}`);
    }
  });
}
