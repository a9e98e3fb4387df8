// Makes compression.json: GS1 Digital Link URIs compressed by GS1's compression prototype
// (GS1DigitalLinkToolkit.js, as shipped in the npm package digital-link.js), so that our
// decompression is checked against an implementation we did not write.
//
//   mkdir /tmp/dl && cd /tmp/dl && npm install digital-link.js@1.4.3
//   node /path/to/tests/vectors/digitallink/compression.mjs > /path/to/compression.json
//
// Each vector: the uncompressed URI, how it was compressed, the compressed URI, and what the
// prototype decompresses it to again.
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const { Utils } = require("digital-link.js");
const meta = require("digital-link.js/package.json");

const STEM = "https://example.org";
const URIS = [
  // the demo's kiwifruit (agritrace demo), as the resolver tests use it
  "/01/16941234000125/10/KW26-SBD-G1",
  "/01/16941234000125/10/KW26-SBD-G1/21/17",
  "/01/16941234000125/10/KW26-SBD-G1?linkType=gs1:certificationInfo&lang=en",
  "/01/16941234000125/10/KW26-SBD-G1?linkType=agritrace:bundle",
  "/01/16941234000125/10/KW26-SBD-G1?17=261231",
  "/01/16941234000125/10/NO-SUCH-LOT",
  // the encodings, optimisation codes and key=value pairs of the method
  "/01/16941234000125/10/KW26-SBD-G1/21/1",
  "/01/16941234000125/10/KW26-SBD-G1/21/1234567890",
  "/01/09506000134352",
  "/01/09506000134352/10/ABC123",
  "/01/09506000134376/10/LOT_123/21/SERIAL_456",
  "/01/09506000134352/22/2A/10/ABC%2F1",
  "/01/09506000134352/10/123456",
  "/01/09506000134352/10/0012",
  "/01/09506000134352/10/abc123",
  "/01/09506000134352/10/Kw26_x-Y",
  "/01/09506000134352/10/a.b",
  "/01/09506000134352/10/A!B%25C%26D",
  "/01/09506000134352/21/123456789012345",
  "/01/09506000134352/10/ABCDEFGHIJKLMNOPQRST/21/abcdefghijklmnopqrst",
  "/01/09506000134352/10/LOT1?17=261231",
  "/01/09506000134352/10/LOT1/21/7?17=261231",
  "/01/09506000134352/10/LOT1?linkType=gs1:certificationInfo",
  "/01/09506000134352/10/LOT1?lang=en",
  "/00/095060001343520000",
];

const vectors = [];
for (const path of URIS) {
  for (const optimise of [true, false]) {
    const uri = STEM + path;
    const compressed = Utils.compressWebUri(uri, optimise, true);
    vectors.push({
      uncompressed: path,
      optimisations: optimise,
      compressed: compressed.slice(STEM.length),
      prototype_decompresses_to: Utils.decompressWebUri(compressed).slice(STEM.length),
    });
  }
}
const origin = {
  made_by: `npm ${meta.name}@${meta.version} (${meta.license}), ` +
    "lib/GS1DigitalLinkCompressionPrototype/GS1DigitalLinkToolkit.js, " +
    "Utils.compressWebUri(uri, optimisations, true) and Utils.decompressWebUri",
  node: process.version,
};
process.stdout.write(JSON.stringify({ origin, vectors }, null, 1) + "\n");
