// The home page: this phone's pairing, and the lots it has seen.

import { $, element } from "./ui.js";

export async function start({ db }) {
  const device = await db.get("meta", "device");
  if (device) {
    $("device-state").textContent = `${device.orgName ?? device.org} (${device.org}) · ${device.label ?? ""} · 密钥 key ${device.keyId}`;
  } else {
    $("device-state").textContent = "本机尚未配对 This phone is not paired yet.";
    $("unpaired").hidden = false;
  }
  const lots = (await db.all("lots")).sort((a, b) => (b.seen ?? 0) - (a.seen ?? 0)).slice(0, 20);
  if (lots.length) {
    const list = $("recent");
    list.replaceChildren(...lots.map((kept) => element("li", {},
      element("a", { href: `/app/lot?code=${encodeURIComponent(kept.lot)}`, text: kept.lot }),
      ` ${kept.summary?.product?.name ?? ""} ${kept.summary?.remaining ?? ""} ${kept.summary?.unit ?? ""}`)));
  }
}
