// Small helpers the pages share: elements, field errors, bilingual text.

export const $ = (id) => document.getElementById(id);

export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("data-") || name.startsWith("aria-") || name === "lang" || name === "href" || name === "for") node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

/** Show ``reason`` next to the input named ``field`` in ``form`` (its aria-describedby error,
 * or its row's), else beside the group it belongs to, else at the form's top. */
export function showError(form, field, reason) {
  const input = field ? form.querySelector(`[name="${CSS.escape(field)}"]`) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    const described = (input.getAttribute("aria-describedby") ?? "").split(" ")[0];
    const slot = (described && document.getElementById(described)) ||
      input.closest(".row-fields")?.querySelector(".error");
    if (slot) {
      slot.textContent = reason;
      return input;
    }
  }
  const group = field ? document.getElementById(`f-${field.split(".")[0]}-error`) : null;
  const top = group ?? form.querySelector(".form-error") ?? form.querySelector(".error");
  top.textContent = field && !group ? `${field}: ${reason}` : reason;
  return null;
}

export function clearErrors(form) {
  form.querySelectorAll(".error").forEach((slot) => (slot.textContent = ""));
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
}

/** The server's name for a field (records[0].data.outputs[1].quantity) as the form's. */
export function formField(field) {
  if (!field) return null;
  const inData = field.replace(/^records\[\d+\]\./, "");
  if (!inData.startsWith("data.")) return null;
  return inData.slice(5).replace(/\[(\d+)\]/g, ".$1");
}

export const STEP_WORDS = {
  Harvested: "采收 Harvest", Collected: "田头集货 Collection", Graded: "分等分级 Grading",
  PreCooled: "预冷 Pre-cooling", Stored: "冷藏 Cold storage", Packed: "包装 Packing",
  Shipped: "发运 Shipment", Received: "收货 Receipt", Inspected: "检验 Inspection",
  Certified: "认证 Certification", Held: "扣留 Held", Released: "放行 Released",
  Recalled: "召回 Recall", Corrected: "更正 Correction",
  PrivateDataRead: "监管查阅隐私数据 Private data read by an inspector",
};

export function localMinute(time) {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return time;
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
