// The app's entry: the connection and upload-queue indicator on every page, the service
// worker, uploading when the connection returns, and the page's own script.

import * as db from "./db.js";
import { flush, onChange, queued } from "./sync.js";

const PAGES = {
  home: "./page-home.js",
  pair: "./page-pair.js",
  devices: "./page-devices.js",
  lot: "./page-lot.js",
  step: "./page-step.js",
  households: "./page-households.js",
  settings: "./page-settings.js",
  queue: "./page-queue.js",
};

async function showPending() {
  const items = await queued();
  const badge = document.getElementById("pending");
  document.getElementById("pending-count").textContent = String(items.length);
  badge.hidden = items.length === 0;
  document.body.dataset.pending = String(items.length);
}

function showOnline() {
  const state = document.getElementById("online");
  state.dataset.state = navigator.onLine ? "online" : "offline";
  state.textContent = navigator.onLine ? "在线 online" : "离线 offline";
}

export function ready(name) {
  document.body.dataset.ready = name;
}

async function main() {
  showOnline();
  window.addEventListener("online", () => {
    showOnline();
    flush().catch(() => {});
  });
  window.addEventListener("offline", showOnline);
  onChange(() => showPending());
  await showPending();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app" }).catch(() => {});
  }
  const page = PAGES[document.body.dataset.page];
  if (page) await (await import(page)).start({ db });
  ready("true");
  if (navigator.onLine) flush().catch(() => {});
}

main().catch((error) => {
  document.body.dataset.ready = "error";
  const message = document.createElement("p");
  message.className = "error";
  message.setAttribute("role", "alert");
  message.textContent = `出错了 Something went wrong: ${error.message ?? error}`;
  document.querySelector("main").prepend(message);
});
