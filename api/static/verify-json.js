// Strict JSON, read the way the Python verifier reads it: integers only (a number with a
// fraction or an exponent is refused, as Python's parse_float hook refuses it), optionally
// no key twice in one object (Python's object_pairs_hook), and bounded nesting (Python
// stops at its recursion limit). JSON.parse then does the parsing proper.

import { MalformedInput } from "./verify-errors.js";

const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

export function parseStrict(text, { what, duplicates = false, maxDepth = 64 }) {
  scan(text, what, duplicates, maxDepth);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedInput(`${what} is not valid JSON: ${error.message}`);
  }
}

function stringEnd(text, start) {
  let at = start + 1;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code === 92)
      at += 2; // a backslash escapes the next character
    else if (code === 34) return at;
    else at += 1;
  }
  return -1;
}

function scan(text, what, duplicates, maxDepth) {
  const open = []; // per container: { object, keys, expectKey }
  let at = 0;
  while (at < text.length) {
    const c = text[at];
    if (c === '"') {
      const end = stringEnd(text, at);
      if (end < 0) return; // unterminated: JSON.parse says so
      const top = open[open.length - 1];
      if (top && top.object && top.expectKey) {
        top.expectKey = false;
        if (!duplicates) {
          let key;
          try {
            key = JSON.parse(text.slice(at, end + 1));
          } catch {
            return;
          }
          if (top.keys.has(key)) {
            throw new MalformedInput(
              `key ${JSON.stringify(key).slice(0, 42)} appears twice in one object`,
            );
          }
          top.keys.add(key);
        }
      }
      at = end + 1;
    } else if (c === "{" || c === "[") {
      if (open.length >= maxDepth) throw new MalformedInput(`${what} is nested too deeply`);
      open.push({ object: c === "{", keys: new Set(), expectKey: c === "{" });
      at += 1;
    } else if (c === "}" || c === "]") {
      open.pop();
      at += 1;
    } else if (c === ",") {
      const top = open[open.length - 1];
      if (top && top.object) top.expectKey = true;
      at += 1;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      NUMBER.lastIndex = at;
      const found = NUMBER.exec(text);
      if (!found) {
        at += 1;
        continue;
      }
      if (found[1] !== undefined || found[2] !== undefined) {
        throw new MalformedInput(`number ${found[0].slice(0, 20)} is not allowed; use integers`);
      }
      at += found[0].length;
    } else {
      at += 1;
    }
  }
}
