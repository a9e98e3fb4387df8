// From a form to signed records, the way the ledger derives them (ledger/domain/steps.py,
// ledger/domain/transformations.py, ledger/recording/pipeline.py): values in their canonical
// form (decimals as shortest strings, times in UTC, GTINs as GTIN-14), the records a step
// makes (a grading also starts each grade lot, a collection appends to each harvest lot),
// RFC 8785 bytes (../verify-records.js), SHA-256 and the phone's signature. The server derives
// the same records again and refuses any that differ, naming the field.

import { concat, encodeBase64, hex, utf8 } from "../verify-bytes.js";
import { canonical } from "../verify-records.js";
import { sha256, signRecordHash } from "./keys.js";

export const ZERO = "0".repeat(64);
const PLAIN = /^-?[0-9]{1,13}(\.[0-9]{1,12})?$/;
const LOT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/;
const PRIVATE_CONTEXT = utf8("agritrace/private/v1\n");

/** An input the clerk must fix: ``field`` is its path in the step's data. */
export class FieldError extends Error {
  constructor(field, reason) {
    super(`${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

// -- values -------------------------------------------------------------------------------

export function decimal(text, field, { min, max, positive = false, places = 6 } = {}) {
  const value = String(text).trim();
  if (!PLAIN.test(value)) throw new FieldError(field, "请填数字 must be a number, e.g. 12.5");
  const negative = value.startsWith("-");
  let [whole, fraction = ""] = value.replace("-", "").split(".");
  whole = whole.replace(/^0+/, "") || "0";
  fraction = fraction.replace(/0+$/, "");
  const digits = fraction ? `${whole}.${fraction}` : whole;
  const shortest = digits === "0" ? "0" : (negative ? "-" : "") + digits;
  if (fraction.length > places) {
    throw new FieldError(field, `最多 ${places} 位小数 at most ${places} decimal places`);
  }
  const scaled = scale(shortest);
  if (positive && scaled <= 0n) throw new FieldError(field, "必须大于零 must be greater than zero");
  if (min !== undefined && scaled < scale(min)) {
    throw new FieldError(field, `不能小于 ${min} must be at least ${min}`);
  }
  if (max !== undefined && scaled > scale(max)) {
    throw new FieldError(field, `不能大于 ${max} must be at most ${max}`);
  }
  return shortest;
}

const SCALE = 12;
/** A decimal string as an integer count of 10^-12: exact sums without floats. */
export function scale(text) {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace("-", "").split(".");
  const value = BigInt(whole + fraction.padEnd(SCALE, "0").slice(0, SCALE));
  return negative ? -value : value;
}

export function unscale(value) {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(SCALE + 1, "0");
  const whole = digits.slice(0, -SCALE);
  const fraction = digits.slice(-SCALE).replace(/0+$/, "");
  const text = fraction ? `${whole}.${fraction}` : whole;
  return text === "0" ? "0" : (negative ? "-" : "") + text;
}

export function sum(values) {
  return unscale(values.reduce((total, value) => total + scale(value), 0n));
}

/** As ledger.domain.fields.format_time: UTC, milliseconds only when there are some. */
export function formatTime(date) {
  const text = date.toISOString();
  return text.endsWith(".000Z") ? text.replace(".000Z", "Z") : text;
}

/** A datetime-local value (the phone's own time zone) as the ledger writes times. */
export function localTime(text, field) {
  const value = String(text).trim();
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) {
    throw new FieldError(field, "请选择日期和时间 choose a date and time");
  }
  if (date.getFullYear() < 2000 || date.getFullYear() > 2200) {
    throw new FieldError(field, "年份不对 is outside the years 2000-2200");
  }
  return formatTime(date);
}

export function gtin14(text, field) {
  const value = String(text).trim();
  if (!/^([0-9]{8}|[0-9]{12,14})$/.test(value)) {
    throw new FieldError(field, "商品条码是 8、12、13 或 14 位数字 must be a GTIN of 8, 12, 13 or 14 digits");
  }
  const padded = value.padStart(14, "0");
  let total = 0;
  for (let i = 0; i < 13; i++) total += Number(padded[i]) * (i % 2 === 0 ? 3 : 1);
  if (String((10 - (total % 10)) % 10) !== padded[13]) {
    throw new FieldError(field, "校验位不对 has a wrong check digit");
  }
  return padded;
}

export function lotCode(text, field) {
  const value = String(text).trim();
  if (!LOT.test(value)) {
    throw new FieldError(field, "1-20 位字母、数字、. _ - letters, digits, '.', '_' or '-'");
  }
  return value;
}

export function text(value, field, maxLength = 80) {
  const cleaned = String(value).trim();
  if (!cleaned) throw new FieldError(field, "必填 required");
  if (cleaned.length > maxLength) {
    throw new FieldError(field, `最多 ${maxLength} 个字 at most ${maxLength} characters`);
  }
  return cleaned;
}

/** The value of one input by its kind (the form's data-kind), or undefined when empty and
 * optional. */
export function readValue(input, field) {
  const kind = input.dataset.kind || "text";
  const raw = input.type === "checkbox" ? input.checked : input.value;
  if (kind === "bool") return Boolean(raw);
  if (String(raw).trim() === "") {
    if (input.required) throw new FieldError(field, "必填 required");
    return undefined;
  }
  const bounds = { min: input.dataset.min, max: input.dataset.max };
  switch (kind) {
    case "decimal":
      return decimal(raw, field, {
        ...bounds,
        positive: bounds.min === "0" && !field.endsWith("loss"),
        places: bounds.max === "80" ? 2 : 6,
      });
    case "count": {
      if (!/^[0-9]{1,13}$/.test(String(raw).trim()) || Number(raw) < 1) {
        throw new FieldError(field, "请填正整数 must be a whole number from 1");
      }
      return Number(raw);
    }
    case "time":
      return localTime(raw, field);
    case "gtin":
      return gtin14(raw, field);
    case "lot":
      return lotCode(raw, field);
    case "choice":
    case "household":
      return String(raw);
    default:
      return text(raw, field, Number(input.maxLength) > 0 ? Number(input.maxLength) : 80);
  }
}

/** Set ``value`` at a dotted path (``outputs.0.lot``), numeric parts making arrays. */
export function setPath(target, path, value) {
  const parts = path.split(".");
  let node = target;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    const nextIsIndex = !last && /^[0-9]+$/.test(parts[i + 1]);
    const key = /^[0-9]+$/.test(part) ? Number(part) : part;
    if (last) node[key] = value;
    else node = node[key] ??= nextIsIndex ? [] : {};
  });
}

// -- private values -----------------------------------------------------------------------

function randomSalt() {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** Seal a private value on the phone: the record holds the commitment, the opening goes to
 * the server beside it (ledger/private/openings.py). */
export async function seal(value, salt = randomSalt()) {
  const digest = await sha256(concat(PRIVATE_CONTEXT, salt, utf8(canonical(value))));
  return { commitment: hex(digest), value, salt: hex(salt) };
}

// -- records ------------------------------------------------------------------------------

function eventTime(data, recorded) {
  for (const name of ["ended", "started", "valid_from"]) {
    if (typeof data[name] === "string") return data[name];
  }
  return recorded;
}

function equalJson(a, b) {
  return canonical(a) === canonical(b);
}

function commonOrigin(origins) {
  const [first, ...rest] = origins;
  return Object.fromEntries(
    Object.entries(first).filter(([key, value]) => rest.every((o) => o[key] === value)),
  );
}

async function finish(body) {
  const raw = utf8(canonical(body));
  const hashBytes = await sha256(raw);
  return { body, raw, hashBytes, hash: hex(hashBytes) };
}

/** The records ``command`` makes, unsigned: ``lots`` maps a lot code to what the phone
 * knows of it (its summary: records, head, unit, remaining, product, origin). */
export async function deriveRecords(command, lots, { org, key, recorded }) {
  const { step, lot, data } = command;
  const time = command.time || eventTime(data, recorded);
  const made = [];
  const append = async (code, type, recordData, links = []) => {
    const state = lots[code];
    if (!state) throw new FieldError("lot", `本机没有批次 ${code} 的信息 this phone knows nothing of lot ${code}; open it online first`);
    const record = await finish({
      v: 1, chain: `lot/${code}`, seq: state.records, prev: state.head, links, type,
      data: recordData, org, key, time, recorded,
    });
    made.push(record);
    return record;
  };
  const start = async (code, type, recordData, links = []) => {
    const record = await finish({
      v: 1, chain: `lot/${code}`, seq: 0, prev: ZERO, links, type, data: recordData, org, key,
      time, recorded,
    });
    made.push(record);
    return record;
  };
  if (step === "Harvested") {
    await start(lot, step, data);
  } else if (step === "Collected") {
    const taken = new Map();
    data.purchases.forEach((purchase, i) => {
      if (purchase.lot === lot) throw new FieldError(`purchases.${i}.lot`, "不能收进自己 a lot cannot be collected into itself");
      if (!lots[purchase.lot]) throw new FieldError(`purchases.${i}.lot`, `找不到批次 ${purchase.lot} no such lot on this phone; open it online first`);
      taken.set(purchase.lot, sum([taken.get(purchase.lot) ?? "0", purchase.quantity]));
    });
    const inputs = [...taken.keys()].map((code) => lots[code]);
    for (const [code, quantity] of taken) {
      if (scale(quantity) > scale(lots[code].remaining)) {
        throw new FieldError("purchases", `批次 ${code} 只剩 ${lots[code].remaining} ${lots[code].unit} lot ${code} has only ${lots[code].remaining} ${lots[code].unit} left`);
      }
    }
    if (new Set(inputs.map((l) => l.unit)).size !== 1) throw new FieldError("purchases", "单位不同 input lots use different units");
    if (new Set(inputs.map((l) => l.product.name)).size !== 1) throw new FieldError("purchases", "产品不同 input lots hold different products");
    const links = [];
    for (const [code, quantity] of taken) {
      const record = await append(code, step, { into: lot, collection_point: data.collection_point, quantity });
      links.push(record.hash);
    }
    let product = inputs[0].product;
    if (inputs.some((l) => !equalJson(l.product, product))) product = { name: product.name };
    await start(lot, step, {
      collection_point: data.collection_point, product,
      origin: commonOrigin(inputs.map((l) => l.origin)),
      quantity: sum([...taken.values()]), unit: inputs[0].unit, purchases: data.purchases,
    }, links);
  } else if (step === "Graded") {
    const state = lots[lot];
    const codes = data.outputs.map((o) => o.lot);
    if (new Set(codes).size !== codes.length) throw new FieldError("outputs", "等级批次号不能重复 grade lots must have distinct codes");
    if (codes.includes(lot)) throw new FieldError("outputs", "等级批次要用新编号 a grade lot needs a new code");
    const total = sum([...data.outputs.map((o) => o.quantity), data.loss ?? "0"]);
    if (state && scale(total) !== scale(state.remaining)) {
      throw new FieldError("outputs", `各等级加损耗 (${total}) 必须等于剩余 ${state.remaining} ${state.unit} grades plus loss must equal what is left`);
    }
    const graded = await append(lot, step, data);
    for (const output of data.outputs) {
      await start(output.lot, step, {
        from: lot, standard: data.standard, grade: output.grade, quantity: output.quantity,
        unit: state.unit, product: state.product, origin: state.origin,
      }, [graded.hash]);
    }
  } else {
    await append(lot, step, data);
  }
  return made;
}

/** Sign derived records with the phone's key: the body of ``POST /records/signed``. */
export async function signRecords(device, records) {
  const signed = [];
  for (const record of records) {
    const signature = await signRecordHash(device, record.hashBytes);
    signed.push({
      body: record.body, hash: record.hash,
      record: encodeBase64(record.raw), signature: encodeBase64(signature),
    });
  }
  return signed;
}

/** What the phone knows of each lot after ``records`` (so the next step offline chains on
 * them). */
export function applyRecords(lots, records) {
  const next = { ...lots };
  for (const { body, hash } of records) {
    const code = body.chain.slice(4);
    const data = body.data;
    if (body.seq === 0) {
      next[code] = {
        lot: code, records: 1, head: hash, unit: data.unit, quantity: data.quantity,
        remaining: data.quantity, product: data.product, origin: data.origin,
        custodian: body.org, producer: body.org, status: "active", gtin: data.product?.gtin ?? null,
      };
      continue;
    }
    const state = { ...next[code], records: body.seq + 1, head: hash };
    if (body.type === "Collected") state.remaining = sum([state.remaining, `-${data.quantity}`]);
    if (body.type === "Graded") state.remaining = "0";
    if (body.type === "Packed") state.gtin = data.gtin;
    if (body.type === "Shipped") state.in_transit_to = data.to;
    if (body.type === "Received") {
      state.custodian = body.org;
      state.in_transit_to = null;
    }
    next[code] = state;
  }
  return next;
}
