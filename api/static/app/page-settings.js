// The cooperative's varieties and protective prices per product: read with the phone's
// token (and kept on the phone for its forms offline), replaced whole when saved.

import { call } from "./api.js";
import { $, clearErrors, showError } from "./ui.js";

const EMPTY = { varieties: {}, protective_prices: {} };

export async function refreshSettings(db, device) {
  try {
    const answer = await call(`/orgs/${encodeURIComponent(device.org)}/settings`, { token: device.token });
    if (answer.ok) await db.put("meta", answer.body, "settings");
  } catch {
    // offline: the lists as last read
  }
  return (await db.get("meta", "settings")) ?? EMPTY;
}

const split = (text) => text.split(/[、,，;；\n]/).map((v) => v.trim()).filter(Boolean);

export async function start({ db }) {
  const device = await db.get("meta", "device");
  const form = $("settings-form");
  if (!device) {
    showError(form, null, "请先配对本机 Pair this phone first");
    return;
  }
  const list = $("product-rows");
  const add = (product = "", varieties = [], price = "") => {
    const row = $("product-row").content.firstElementChild.cloneNode(true);
    row.querySelector('[data-part="product"]').value = product;
    row.querySelector('[data-part="varieties"]').value = varieties.join("、");
    row.querySelector('[data-part="price"]').value = price;
    list.append(row);
    return row;
  };
  const show = (settings) => {
    list.replaceChildren();
    const products = new Set([...Object.keys(settings.varieties ?? {}), ...Object.keys(settings.protective_prices ?? {})]);
    for (const p of products) add(p, settings.varieties?.[p] ?? [], settings.protective_prices?.[p] ?? "");
    add();
  };
  show(await refreshSettings(db, device));
  $("add-product").addEventListener("click", () => add().querySelector("input").focus());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    list.querySelectorAll(".error").forEach((p) => { p.textContent = ""; });
    $("settings-saved").textContent = "";
    const body = { varieties: {}, protective_prices: {} };
    for (const row of list.children) {
      const product = row.querySelector('[data-part="product"]').value.trim();
      const varieties = split(row.querySelector('[data-part="varieties"]').value);
      const price = row.querySelector('[data-part="price"]').value.trim();
      const error = row.querySelector(".error");
      if (!product) {
        if (varieties.length || price) error.textContent = "请填产品 name the product";
        continue;
      }
      if (price && !/^[0-9]{1,6}(\.[0-9]{1,2})?$/.test(price)) {
        error.textContent = "保护价写成 4.5 这样的数 the price as a number such as 4.5";
        continue;
      }
      if (varieties.length) body.varieties[product] = [...new Set(varieties)];
      if (price) body.protective_prices[product] = price;
    }
    if ([...list.querySelectorAll(".error")].some((p) => p.textContent)) return;
    const answer = await call(`/orgs/${encodeURIComponent(device.org)}/settings`, {
      method: "PUT", token: device.token, body,
    });
    if (!answer.ok) {
      const detail = answer.body?.field ? `${answer.body.field}: ` : "";
      return showError(form, null, `${detail}${answer.body?.reason ?? `HTTP ${answer.status}`}`);
    }
    await db.put("meta", answer.body, "settings");
    show(answer.body);
    $("settings-saved").textContent = "已保存 Saved";
  });
}
