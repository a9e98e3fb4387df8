// Adding a phone (a one-time pairing code, shown as text and QR code), listing the paired
// phones, and revoking a lost one: its key (KeyRevoked) and its token.

import { call } from "./api.js";
import { $, clearErrors, element, showError } from "./ui.js";

export async function start({ db }) {
  const form = $("device-form");
  const device = await db.get("meta", "device");
  if (device) $("d-org").value = device.org;
  const credentials = () => ({
    token: $("d-token").value.trim() || device?.token,
    org: $("d-org").value.trim(),
  });
  const fail = (answer) => {
    const field = { authorization: "token", org: "org", label: "label" }[answer.body?.field] ?? null;
    showError(form, field, answer.body?.reason ?? `HTTP ${answer.status}`);
  };
  const list = async () => {
    const { token, org } = credentials();
    const answer = await call(`/orgs/${encodeURIComponent(org)}/devices`, { token });
    if (!answer.ok) return fail(answer);
    $("device-list").replaceChildren(...answer.body.map((d) => {
      const item = element("li", { "data-key": d.key_id },
        `${d.label} · ${d.key_id} · ${d.paired_at.slice(0, 16).replace("T", " ")} `);
      if (d.revoked_at) {
        item.append(element("span", { class: "state-refused", text: "已撤销 revoked" }));
      } else {
        const revoke = element("button", { type: "button", class: "revoke", text: "撤销 Revoke" });
        revoke.addEventListener("click", async () => {
          if (!confirm(`撤销设备 ${d.label}? Revoke this device?`)) return;
          const done = await call(`/orgs/${encodeURIComponent(org)}/devices/${d.key_id}/revoke`, {
            method: "POST", token, body: { reason: "设备丢失或停用 device lost or retired" },
          });
          if (!done.ok) return fail(done);
          await list();
        });
        item.append(revoke);
      }
      return item;
    }));
  };
  $("d-list").addEventListener("click", () => {
    clearErrors(form);
    list().catch((error) => showError(form, null, String(error)));
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { token, org } = credentials();
    if (!token) return showError(form, "token", "请填令牌 a token is required");
    if (!org) return showError(form, "org", "请填组织编号 an organisation id is required");
    const answer = await call(`/orgs/${encodeURIComponent(org)}/pairings`, {
      method: "POST", token, body: { label: $("d-label").value },
    });
    if (!answer.ok) return fail(answer);
    $("pairing").hidden = false;
    $("pairing-code").textContent = answer.body.code;
    $("pairing-qr").src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(answer.body.qr_svg)))}`;
    $("pairing-expires").textContent = `有效至 valid until ${new Date(answer.body.expires_at).toLocaleString()}，只能用一次 · one use only`;
    $("pairing-link").href = answer.body.link;
    await list();
  });
}
