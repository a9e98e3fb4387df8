// The cooperative's households register: private data, read with the phone's token and kept
// on the phone for choosing a household offline.

import { call } from "./api.js";
import { $, clearErrors, element, showError } from "./ui.js";

export async function refreshHouseholds(db, device) {
  try {
    const answer = await call(`/orgs/${encodeURIComponent(device.org)}/households`, { token: device.token });
    if (answer.ok) await db.put("meta", answer.body, "households");
  } catch {
    // offline: the register as last read
  }
  return (await db.get("meta", "households")) ?? [];
}

export async function start({ db }) {
  const device = await db.get("meta", "device");
  const form = $("household-form");
  if (!device) {
    showError(form, null, "请先配对本机 Pair this phone first");
    return;
  }
  const show = (register) => {
    $("household-rows").replaceChildren(...register.map((h) => element("tr", {},
      element("td", { text: h.household_id }), element("td", { text: h.name }),
      element("td", { text: h.village }), element("td", { text: h.formerly_poor ? "是 yes" : "否 no" }))));
    $("household-count").textContent = `共 ${register.length} 户 households, 脱贫户 formerly poor: ${register.filter((h) => h.formerly_poor).length}`;
  };
  show(await refreshHouseholds(db, device));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = {
      name: $("h-name").value, village: $("h-village").value,
      household_id: $("h-household_id").value, formerly_poor: $("h-formerly_poor").checked,
    };
    for (const name of ["name", "village", "household_id"]) {
      if (!body[name].trim()) return showError(form, name, "必填 required");
    }
    const answer = await call(`/orgs/${encodeURIComponent(device.org)}/households`, {
      method: "POST", token: device.token, body,
    });
    if (!answer.ok) return showError(form, answer.body?.field, answer.body?.reason ?? `HTTP ${answer.status}`);
    form.reset();
    show(await refreshHouseholds(db, device));
  });
}
