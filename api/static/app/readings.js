// Cold-storage readings: typed in, or a temperature logger's CSV (time, °C[, humidity %]),
// checked row by row (a bad row is named by row and column and nothing is submitted), drawn
// as a chart with the readings outside the allowed range marked before saving.

import { FieldError, decimal, formatTime, scale } from "./derive.js";
import { $, element } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";
const ZONED = /(Z|[+-]\d\d:?\d\d)$/i;

function readTime(text) {
  const value = text.trim().replace(" ", "T");
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/i.test(value)) return null;
  const date = new Date(ZONED.test(value) ? value : value); // without a zone: the phone's own
  return Number.isNaN(date.getTime()) ? null : formatTime(date);
}

/** Readings from a logger's CSV text, or the bad rows by row and column. */
export function parseLoggerCsv(text) {
  const readings = [];
  const problems = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const row = i + 1;
    if (!line.trim()) return;
    const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"|"$/g, ""));
    if (i === 0 && !/^\d/.test(cells[0])) return; // a header
    if (cells.length < 2) {
      problems.push(`第 ${row} 行 row ${row}: 需要时间和温度两列 needs a time and a temperature`);
      return;
    }
    const at = readTime(cells[0]);
    if (!at) problems.push(`第 ${row} 行第 1 列 row ${row}, column 1: 时间不对 "${cells[0]}" is not a time`);
    let temp;
    try {
      temp = decimal(cells[1], "temp_c", { min: "-60", max: "80", places: 2 });
    } catch (error) {
      problems.push(`第 ${row} 行第 2 列 row ${row}, column 2: "${cells[1]}" ${error.reason}`);
    }
    let humidity;
    if (cells[2]) {
      try {
        humidity = decimal(cells[2], "humidity_pct", { min: "0", max: "100", places: 2 });
      } catch (error) {
        problems.push(`第 ${row} 行第 3 列 row ${row}, column 3: "${cells[2]}" ${error.reason}`);
      }
    }
    if (at && temp !== undefined) {
      const reading = { at, temp_c: temp };
      if (humidity !== undefined) reading.humidity_pct = humidity;
      readings.push(reading);
    }
  });
  return { readings, problems };
}

export function excursions(readings, min, max) {
  return readings.filter((r) =>
    (min && scale(r.temp_c) < scale(min)) || (max && scale(r.temp_c) > scale(max)));
}

function chart(readings, min, max) {
  const box = $("chart");
  box.replaceChildren();
  if (readings.length < 1) return;
  const w = 320;
  const h = 140;
  const times = readings.map((r) => Date.parse(r.at));
  const temps = readings.map((r) => Number(r.temp_c));
  const lo = Math.min(...temps, min ? Number(min) : Infinity) - 1;
  const hi = Math.max(...temps, max ? Number(max) : -Infinity) + 1;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times) || t0 + 1;
  const x = (t) => 30 + ((t - t0) / (t1 - t0 || 1)) * (w - 40);
  const y = (v) => 10 + (1 - (v - lo) / (hi - lo || 1)) * (h - 30);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  const out = excursions(readings, min, max).length;
  svg.setAttribute("aria-label", `温度曲线 temperature chart: ${readings.length} 个读数 readings, ${out} 个超限 outside the range`);
  const add = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    svg.append(node);
    return node;
  };
  for (const limit of [min, max].filter(Boolean)) {
    add("line", { x1: 30, x2: w - 10, y1: y(Number(limit)), y2: y(Number(limit)), stroke: "#1a6fb5", "stroke-dasharray": "4 3" });
    add("text", { x: 2, y: y(Number(limit)) + 3 }).textContent = `${limit}°`;
  }
  add("polyline", {
    points: readings.map((r, i) => `${x(times[i]).toFixed(1)},${y(temps[i]).toFixed(1)}`).join(" "),
    fill: "none", stroke: "#3d8b3d", "stroke-width": 1.5,
  });
  readings.forEach((r, i) => {
    const bad = (min && scale(r.temp_c) < scale(min)) || (max && scale(r.temp_c) > scale(max));
    if (bad) add("circle", { cx: x(times[i]), cy: y(temps[i]), r: 3, fill: "#b3261e", class: "excursion" });
  });
  box.append(svg);
}

export function readingsWidget(form) {
  let fromCsv = [];
  let problems = [];
  const list = $("reading-rows");
  const template = $("reading-row");
  const typed = () => [...list.children].map((row) => ({
    at: row.querySelector('[data-name="readings.#.at"]').value,
    temp_c: row.querySelector('[data-name="readings.#.temp_c"]').value.trim(),
  })).filter((r) => r.at && r.temp_c);
  const current = () => {
    const rows = typed().flatMap((r) => {
      const at = readTime(r.at);
      return at && /^-?\d{1,3}(\.\d{1,2})?$/.test(r.temp_c) ? [{ at, temp_c: r.temp_c }] : [];
    });
    return [...fromCsv, ...rows].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  };
  const update = () => {
    const min = $("f-target_min_c").value.trim();
    const max = $("f-target_max_c").value.trim();
    const readings = current();
    chart(readings, min, max);
    const out = excursions(readings, min, max);
    $("excursions").textContent = out.length
      ? `超出范围 ${out.length} 次 ${out.length} readings outside ${min || "…"}–${max || "…"} °C: ${out.slice(0, 5).map((r) => `${r.at} ${r.temp_c}°C`).join("; ")}${out.length > 5 ? " …" : ""}`
      : "";
  };
  $("add-reading").addEventListener("click", () => {
    const row = template.content.firstElementChild.cloneNode(true);
    list.append(row);
    [...list.children].forEach((r, i) => r.querySelectorAll("[data-name]").forEach((input) => {
      // typed readings are gathered by the widget, not by name
      input.id = `${input.dataset.name.replace("#", String(i)).replace(/\./g, "-")}`;
      input.addEventListener("input", update);
    }));
  });
  $("f-target_min_c").addEventListener("input", update);
  $("f-target_max_c").addEventListener("input", update);
  $("f-csv").addEventListener("change", async () => {
    const file = $("f-csv").files[0];
    $("f-csv-error").textContent = "";
    fromCsv = [];
    problems = [];
    if (file) {
      const parsed = parseLoggerCsv(await file.text());
      problems = parsed.problems;
      if (problems.length) {
        $("f-csv-error").replaceChildren(
          `CSV 有 ${problems.length} 行不对，不会提交 The CSV has ${problems.length} bad rows; nothing will be submitted:`,
          element("ul", {}, ...problems.slice(0, 50).map((p) => element("li", { text: p }))));
      } else {
        fromCsv = parsed.readings;
      }
    }
    update();
  });
  return {
    complete(data) {
      if (problems.length) throw new FieldError("csv", `CSV 有 ${problems.length} 行不对 the CSV has bad rows; fix the file first`);
      const readings = current();
      if (readings.length) data.readings = readings;
    },
  };
}
