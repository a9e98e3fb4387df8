// A step's form: read and check every field, seal households on the phone, derive and sign
// the records, queue them and upload them (now, or when the connection returns), then show
// the record's hash and its place in the log, or the server's reasons next to the fields.

import { loadLot } from "./api.js";
import {
  FieldError, decimal, localTime, readValue, scale, seal, setPath, sum, unscale,
} from "./derive.js";
import { readingsWidget } from "./readings.js";
import { refreshHouseholds } from "./page-households.js";
import { refreshSettings } from "./page-settings.js";
import { showLot } from "./lotview.js";
import { enqueue, flush, forget, mainRecord, queued } from "./sync.js";
import { $, STEP_WORDS, clearErrors, element, formField, showError } from "./ui.js";

const SKIP = new Set(["lot", "field", "value"]);

export async function start({ db }) {
  const form = $("step-form");
  const step = document.body.dataset.step;
  const newLot = document.body.dataset.newLot === "true";
  const code = new URLSearchParams(location.search).get("lot")?.trim() ?? "";
  const device = await db.get("meta", "device");
  if (!device) {
    showError(form, null, "请先配对本机 Pair this phone first (/app/pair)");
    $("save").disabled = true;
    return;
  }
  const kept = newLot ? null : await showLot(code);
  if (!newLot && !kept) $("save").disabled = true;
  const register = await refreshHouseholds(db, device);
  const households = new Map(register.map((h) => [h.household_id, h]));
  const fillHouseholds = (select) => {
    for (const h of register) {
      select.append(element("option", { value: h.household_id, text: `${h.name} · ${h.village} · ${h.household_id}` }));
    }
  };
  form.querySelectorAll('select[data-kind="household"]').forEach(fillHouseholds);
  for (const input of form.querySelectorAll('input[type="datetime-local"][required]')) {
    input.value = localInputValue(new Date());
  }
  const settings = await refreshSettings(db, device);
  await fillLists(db, settings);
  if (step === "Certified") {
    const today = new Date().toISOString().slice(0, 10).replaceAll("-", "");
    $("f-number").value = `HGZ-${code}-${today}`.slice(0, 60);
    $("f-issuer").value = device.orgName ?? device.org;
    for (const h of (kept?.history ?? []).filter((r) => r.type === "Inspected" && !r.pending)) {
      $("f-basis_record").append(element("option", {
        value: h.hash, text: `${h.seq}. ${STEP_WORDS[h.type]} · ${h.data?.kind ?? ""} · ${h.hash.slice(0, 12)}…`,
      }));
    }
  }
  const widgets = {
    grades: () => gradesWidget(form, kept),
    purchases: () => purchasesWidget(form, fillHouseholds, settings),
    readings: () => readingsWidget(form),
    correction: () => correctionWidget(form, kept),
  };
  const widget = document.querySelector("#grades") ? widgets.grades()
    : document.querySelector("#purchases") ? widgets.purchases()
    : document.querySelector("#readings") ? widgets.readings()
    : step === "Corrected" ? widgets.correction()
    : step === "Packed" ? packingWidget(form, kept) : null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    $("save").disabled = true;
    try {
      const { command, openings } = await readCommand(form, step, newLot ? null : code, households, widget);
      const item = await enqueue(device, command, openings);
      await flush();
      await showOutcome(form, item, device, db);
    } catch (error) {
      if (error instanceof FieldError) showError(form, error.field, error.reason);
      else showError(form, null, String(error.message ?? error));
    } finally {
      $("save").disabled = false;
    }
  });
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The harvest's variety list: the coop's varieties of the product typed (its list is
 * advice: a variety off it is said below the field, and recorded), else those seen. */
async function fillLists(db, settings) {
  const lots = await db.all("lots");
  const varieties = $("varieties");
  if (varieties) {
    const product = $("f-product-name");
    const variety = $("f-product-variety");
    const note = element("p", { class: "warning", id: "f-product-variety-note", role: "status" });
    variety.closest(".field").append(note);
    const listed = () => settings.varieties?.[product.value.trim()] ?? [];
    const offer = () => {
      const kept = listed();
      const seen = kept.length ? []
        : [...new Set(lots.map((l) => l.summary?.product?.variety).filter(Boolean))];
      varieties.replaceChildren(...[...kept, ...seen].map((v) => element("option", { value: v })));
      const typed = variety.value.trim();
      note.textContent = kept.length && typed && !kept.includes(typed)
        ? `不在合作社的品种表上（${kept.join("、")}） not on the coop's list of varieties` : "";
    };
    product.addEventListener("input", offer);
    variety.addEventListener("input", offer);
    offer();
  }
  const recent = $("recent-lots");
  if (recent) recent.replaceChildren(...lots.map((l) => element("option", { value: l.lot })));
}

/** The step's command from the form: its data by field paths, households sealed. */
async function readCommand(form, step, code, households, widget) {
  const data = {};
  const openings = [];
  let lot = code;
  const errors = [];
  for (const input of form.querySelectorAll("[name]")) {
    const name = input.name;
    try {
      if (name === "lot") {
        lot = readValue(input, "lot");
        continue;
      }
      if (SKIP.has(name)) continue;
      const value = readValue(input, name);
      if (value === undefined) continue;
      if (input.dataset.kind === "household") {
        const sealed = await seal(value);
        openings.push(sealed);
        setPath(data, name, { commitment: sealed.commitment });
        if (name.startsWith("purchases.")) {
          const row = name.split(".").slice(0, 2).join(".");
          setPath(data, `${row}.registered_poor_household`, Boolean(households.get(value)?.formerly_poor));
        }
        continue;
      }
      setPath(data, name, value);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      errors.push(error);
    }
  }
  if (widget?.complete) {
    try {
      await widget.complete(data, openings);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length) {
    errors.slice(1).forEach((error) => showError(form, error.field, error.reason));
    throw errors[0];
  }
  return { command: { step, lot, data }, openings };
}

async function showOutcome(form, item, device, db) {
  const left = (await queued()).find((i) => i.id === item.id);
  item.result = await db.get("meta", `result-${item.id}`);
  if (item.result) await db.remove("meta", `result-${item.id}`);
  const main = mainRecord(item);
  const lot = item.command.lot;
  const result = $("result");
  $("result-hash").textContent = main.hash;
  $("result-key").textContent = `${device.keyId}（本机 this phone）`;
  $("result-lot").href = `/app/lot?code=${encodeURIComponent(lot)}`;
  $("result-labels").href = `/lots/${encodeURIComponent(lot)}/labels.pdf`;
  // The certificate page shows the lot's 承诺达标合格证; without one, the form that issues it.
  $("result-certificate").href = item.command.step === "Certified"
    ? `/lots/${encodeURIComponent(lot)}/certificate`
    : `/app/step/certification?lot=${encodeURIComponent(lot)}`;
  if (!left) {
    result.hidden = false;
    result.dataset.state = "saved";
    $("result-h").textContent = `已保存 Saved: ${STEP_WORDS[item.command.step]}`;
    const leaf = item.result?.leaf_index;
    $("result-leaf").textContent = leaf === null || leaf === undefined
      ? "稍后写入日志 joins the log shortly"
      : `第 ${leaf} 号 leaf #${leaf}`;
    $("result-warnings").textContent = (item.result?.warnings ?? []).join(" · ");
    form.hidden = true;
    if (!document.body.dataset.newLot) await showLot(lot);
    return;
  }
  if (left.state === "waiting") {
    result.hidden = false;
    result.dataset.state = "waiting";
    $("result-h").textContent = `待上传 Waiting to upload: ${STEP_WORDS[item.command.step]}（已在本机签名 signed on this phone）`;
    $("result-leaf").textContent = "联网后上传 uploads when online";
    form.hidden = true;
    return;
  }
  if (left.state === "conflict") {
    showError(form, null, "冲突：别人先记录了这个批次，请到待上传页处理。 Conflict: someone recorded on this lot first; resolve it on the upload queue page.");
    return;
  }
  // Refused. A value of the form the server rejects is shown beside its field and leaves the
  // queue: the clerk fixes the form and saves again. Anything else (a revoked device, a lot on
  // hold) stays queued with its reason, to be exported or dropped on the queue page.
  if (formField(left.error?.field) !== null) {
    await forget(item.id);
    for (const record of item.records) await loadLot(record.body.chain.slice(4)).catch(() => null);
  }
  showError(form, formField(left.error?.field), left.error?.reason ?? "被拒绝 refused");
}

// -- grading: grades that add up -------------------------------------------------------------

function rows(form, list, template, onChange) {
  const add = () => {
    const row = template.content.firstElementChild.cloneNode(true);
    list.append(row);
    renumber();
    row.querySelectorAll("input, select").forEach((input) => input.addEventListener("input", onChange));
    return row;
  };
  const renumber = () => {
    [...list.children].forEach((row, i) => {
      row.querySelectorAll("[data-name]").forEach((input) => {
        input.name = input.dataset.name.replace("#", String(i));
      });
    });
  };
  return add;
}

function gradesWidget(form, kept) {
  const remaining = kept?.summary?.remaining ?? "0";
  $("grade-remaining").textContent = `${remaining} ${kept?.summary?.unit ?? ""}`;
  const update = () => {
    const values = [...form.querySelectorAll('[data-name="outputs.#.quantity"]'), $("f-loss")]
      .map((input) => input.value.trim())
      .filter((v) => /^-?[0-9]{1,13}(\.[0-9]{1,12})?$/.test(v));
    const total = sum(values);
    $("grade-total").textContent = total;
    const box = $("f-outputs-error");
    box.textContent = scale(total) === scale(remaining) ? ""
      : `各等级加损耗 ${total}，应等于剩余 ${remaining} grades plus loss must equal what is left`;
  };
  const add = rows(form, $("grade-rows"), $("grade-row"), update);
  add();
  add();
  const base = kept?.lot ?? "L";
  [...$("grade-rows").children].forEach((row, i) => {
    row.querySelector('[data-name="outputs.#.lot"]').value = `${base}-${String.fromCharCode(65 + i)}`.slice(0, 20);
    row.querySelector('[data-name="outputs.#.grade"]').value = ["一级 grade 1", "二级 grade 2"][i];
  });
  $("add-grade").addEventListener("click", () => add());
  $("f-loss").addEventListener("input", update);
  update();
  return {};
}

// -- field collection: purchases per household, the protective price ------------------------

/** Each purchase's protective price is the coop's for the product of the row's harvest lot
 * (pre-filled, not typed); without one the clerk enters it. */
function purchasesWidget(form, fillHouseholds, settings) {
  const list = $("purchase-rows");
  const protectiveOf = async (row) => {
    const input = row.querySelector('[data-name="purchases.#.protective_price_per_kg"]');
    const shown = row.querySelector(".protective");
    const code = row.querySelector('[data-name="purchases.#.lot"]').value.trim();
    const lot = /^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/.test(code) ? await loadLot(code).catch(() => null) : null;
    const product = lot?.summary?.product?.name;
    const price = product ? settings.protective_prices?.[product] : undefined;
    input.readOnly = price !== undefined;
    if (price !== undefined) {
      input.value = price;
      shown.textContent = `合作社定的${product}保护价 the coop's protective price for ${product}`;
    } else {
      if (input.dataset.filled === "true") input.value = "";
      shown.textContent = product ? `合作社没有定${product}的保护价，请填写 the coop has no protective price for ${product}: enter it` : "";
    }
    input.dataset.filled = String(price !== undefined);
    update();
  };
  const update = () => {
    const quantities = [];
    for (const row of list.children) {
      const quantity = row.querySelector('[data-name="purchases.#.quantity"]').value.trim();
      const price = row.querySelector('[data-name="purchases.#.price_per_kg"]').value.trim();
      const protective = row.querySelector('[data-name="purchases.#.protective_price_per_kg"]').value.trim();
      if (/^[0-9]{1,13}(\.[0-9]{1,12})?$/.test(quantity)) quantities.push(quantity);
      const warn = row.querySelector(".warning");
      const below = /^[0-9.]+$/.test(price) && /^[0-9.]+$/.test(protective) && scale(price) < scale(protective);
      warn.textContent = below ? `低于保护价 ${protective} 元/千克 below the protective price of ¥${protective}/kg` : "";
    }
    $("purchase-total").textContent = sum(quantities);
  };
  const add = rows(form, list, $("purchase-row"), update);
  const addRow = () => {
    const row = add();
    fillHouseholds(row.querySelector("select"));
    let timer = null;
    row.querySelector('[data-name="purchases.#.lot"]').addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => protectiveOf(row), 300);
    });
  };
  addRow();
  $("add-purchase").addEventListener("click", addRow);
  return {
    complete(data) {
      if (!data.purchases?.length) throw new FieldError("purchases", "至少一户 at least one household");
    },
  };
}

// -- packing: units × net weight against what is left of the lot ---------------------------

const MASS = { kg: "1", g: "0.001", jin: "0.5", t: "1000" };

function packingWidget(form, kept) {
  const lot = kept?.summary;
  const note = element("p", { class: "sum", id: "packed-total", "aria-live": "polite" });
  $("f-gtin").closest(".field").before(note);
  const total = () => {
    const units = $("f-units").value.trim();
    const weight = $("f-net_weight_per_unit").value.trim();
    const unit = $("f-net_weight_unit").value;
    if (!/^[0-9]{1,9}$/.test(units) || !/^[0-9]{1,13}(\.[0-9]{1,12})?$/.test(weight)) return null;
    return unscale((scale(weight) * BigInt(units) * scale(MASS[unit])) / 10n ** 12n);
  };
  const lotKg = () => (lot && MASS[lot.unit]
    ? unscale((scale(lot.remaining) * scale(MASS[lot.unit])) / 10n ** 12n) : null);
  const update = () => {
    const packed = total();
    note.textContent = packed === null ? ""
      : `合计 total ${packed} kg${lotKg() !== null ? ` / 剩余 remaining ${lotKg()} kg` : ""}`;
  };
  for (const id of ["f-units", "f-net_weight_per_unit", "f-net_weight_unit"]) {
    $(id).addEventListener("input", update);
  }
  update();
  return {
    complete() {
      const packed = total();
      const left = lotKg();
      if (packed !== null && left !== null && scale(packed) > scale(left)) {
        throw new FieldError("units", `共 ${packed} 千克，超过批次剩余的 ${left} 千克 ${packed} kg is more than the ${left} kg left in the lot`);
      }
    },
  };
}

// -- correction: pick the record, fix the field --------------------------------------------

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function correctionWidget(form, kept) {
  // Neither corrections nor the ledger's own records of inspectors' reads are corrected.
  const records = (kept?.history ?? []).filter(
    (h) => h.type !== "Corrected" && h.type !== "PrivateDataRead" && !h.pending);
  const pick = $("f-corrects");
  const field = $("f-field");
  for (const h of records) {
    pick.append(element("option", { value: h.hash, text: `${h.seq}. ${STEP_WORDS[h.type] ?? h.type} · ${h.hash.slice(0, 12)}…` }));
  }
  const fields = () => {
    const chosen = records.find((h) => h.hash === pick.value);
    field.replaceChildren(element("option", { value: "", text: "—" }),
      ...Object.entries(chosen?.data ?? {}).filter(([, old]) => correctable(old))
        .map(([name]) => element("option", { value: name, text: name })));
  };
  pick.addEventListener("change", fields);
  const single = $("f-value").closest(".field");
  const parts = $("value-parts");
  single.after(parts);
  field.addEventListener("change", () => {
    const chosen = records.find((h) => h.hash === pick.value);
    const old = chosen?.data?.[field.value];
    $("f-value").value = typeof old === "string" || typeof old === "number" ? String(old) : "";
    const whole = isParts(old);
    single.hidden = whole;
    $("f-value").required = !whole;
    parts.hidden = !whole;
    $("value-parts-field").textContent = whole ? field.value : "";
    $("value-part-rows").replaceChildren(...(whole ? partInputs(field.value, old) : []));
  });
  return {
    async complete(data, openings) {
      const chosen = records.find((h) => h.hash === pick.value);
      if (!chosen) throw new FieldError("corrects", "请选择记录 choose a record");
      if (!field.value) throw new FieldError("field", "请选择字段 choose a field");
      const old = chosen.data[field.value];
      const raw = $("f-value").value;
      let value;
      if (old && typeof old === "object" && "commitment" in old) {
        const sealed = await seal(raw.trim());
        openings.push(sealed);
        value = { commitment: sealed.commitment };
      } else if (typeof old === "number") {
        if (!/^[0-9]+$/.test(raw.trim())) throw new FieldError("value", "请填整数 a whole number");
        value = Number(raw);
      } else if (typeof old === "string" && TIME.test(old)) {
        value = TIME.test(raw.trim()) ? raw.trim() : localTime(raw, "value");
      } else if (typeof old === "string" && /^-?[0-9]+(\.[0-9]+)?$/.test(old)) {
        value = decimal(raw, "value");
      } else if (isParts(old)) {
        value = readParts(field.value);
      } else {
        value = raw.trim();
        if (!value) throw new FieldError("value", "必填 required");
      }
      data.values = { [field.value]: value };
    },
  };
}

// An object field (product, origin) is corrected part by part: each of its parts, and the
// ones the ledger knows for it, as an input pre-filled with the current value.
const PARTS = {
  product: [["name", "产品名", "Name"], ["variety", "品种", "Variety"], ["gtin", "商品条码", "GTIN"]],
  origin: [["province", "省", "Province"], ["city", "市", "City"], ["county", "县", "County"],
    ["township", "乡镇", "Township"], ["village", "村", "Village"], ["base", "基地", "Base"],
    ["plot", "地块", "Field / plot"]],
};

/** A field the form corrects: a plain value, a sealed one, or an object of parts (a list,
 * such as readings or purchases, is not offered). */
function correctable(old) {
  return old === null || typeof old !== "object" || "commitment" in old || isParts(old);
}

function isParts(old) {
  return Boolean(old) && typeof old === "object" && !Array.isArray(old) && !("commitment" in old)
    && Object.values(old).every((v) => typeof v === "string");
}

function partInputs(name, old) {
  const known = PARTS[name] ?? [];
  const extra = Object.keys(old).filter((k) => !known.some(([key]) => key === k)).map((k) => [k, k, k]);
  return [...known, ...extra].map(([key, zh, en]) => {
    const id = `f-value-${key}`;
    const input = element("input", { id, "data-part": key, maxLength: 80, autocomplete: "off", "aria-describedby": `${id}-error` });
    input.value = old[key] ?? "";
    const label = element("label", { for: id, text: `${zh} ` });
    label.append(element("span", { class: "alt", lang: "en", text: en }));
    return element("div", { class: "field" }, label, input, element("p", { class: "error", id: `${id}-error`, role: "alert" }));
  });
}

function readParts(name) {
  const value = {};
  for (const input of $("value-part-rows").querySelectorAll("input[data-part]")) {
    const text = input.value.trim();
    if (text) value[input.dataset.part] = text;
  }
  if (!Object.keys(value).length) throw new FieldError("value-parts", "至少填一项 fill in at least one part");
  if (name === "product" && !value.name) throw new FieldError("value-parts", "产品名必填 the product needs its name");
  return value;
}
