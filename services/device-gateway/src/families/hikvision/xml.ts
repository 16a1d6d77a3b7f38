/**
 * A small, tolerant XML reader for ISAPI messages (`EventNotificationAlert`, `ResponseStatus`). ISAPI XML is
 * data-only: elements and text, namespaces on the root, no mixed content that matters. This reader turns
 * it into plain objects (a leaf element becomes its text, repeated elements become arrays, attributes are
 * dropped, namespace prefixes stripped), never throws, runs in linear time, and keeps what it read when
 * the document is cut off (`truncated`). It is not a general XML parser and does not try to be one.
 */

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

export interface XmlDocument {
  /** Local name of the root element. */
  root: string;
  /** The root element's content. */
  value: XmlValue;
  /** The document ended before its root element was closed. */
  truncated: boolean;
}

const MAX_DEPTH = 32;
const MAX_ELEMENTS = 10_000;

interface Frame {
  name: string;
  children: { name: string; value: XmlValue }[];
  text: string;
}

/** Reads an XML document; `{ error }` when there is no element at all or the structure is unusable. */
export function parseXml(text: string): XmlDocument | { error: string } {
  try {
    return read(text);
  } catch (err) {
    return { error: `XML could not be read: ${(err as Error).message}` };
  }
}

function read(text: string): XmlDocument | { error: string } {
  const stack: Frame[] = [];
  let root: { name: string; value: XmlValue } | undefined;
  let elements = 0;
  let i = 0;
  const n = text.length;
  // A byte-order mark is allowed before the prolog.
  if (text.charCodeAt(0) === 0xfeff) i = 1;

  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunkEnd = lt < 0 ? n : lt;
    if (chunkEnd > i && stack.length > 0)
      stack[stack.length - 1].text += decodeEntities(text.slice(i, chunkEnd));
    else if (chunkEnd > i && root === undefined && text.slice(i, chunkEnd).trim() !== '')
      return { error: 'text before the root element: this is not XML' };
    if (lt < 0) break;
    i = lt;

    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) break;
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      const content = text.slice(i + 9, end < 0 ? n : end);
      if (stack.length > 0) stack[stack.length - 1].text += content;
      if (end < 0) break;
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) break;
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!', i)) {
      // DOCTYPE and friends: skipped (no internal subsets in ISAPI; a '>' ends it).
      const end = text.indexOf('>', i + 2);
      if (end < 0) break;
      i = end + 1;
      continue;
    }
    const gt = findTagEnd(text, i + 1);
    if (gt < 0) break; // cut inside a tag
    const tag = text.slice(i + 1, gt);
    i = gt + 1;

    if (tag.startsWith('/')) {
      const name = localName(tag.slice(1).trim());
      // Close up to the matching open element; an unmatched close tag is ignored.
      let at = stack.length - 1;
      while (at >= 0 && stack[at].name !== name) at--;
      if (at < 0) continue;
      while (stack.length > at) {
        const done = stack.pop()!;
        const value = frameValue(done);
        if (stack.length > 0) stack[stack.length - 1].children.push({ name: done.name, value });
        else root ??= { name: done.name, value };
      }
      if (root && stack.length === 0) break;
      continue;
    }

    const selfClosing = tag.endsWith('/');
    const nameMatch = /^\s*([^\s/>]+)/.exec(selfClosing ? tag.slice(0, -1) : tag);
    if (!nameMatch) return { error: `an element without a name at offset ${i}` };
    const name = localName(nameMatch[1]);
    if (++elements > MAX_ELEMENTS) return { error: `more than ${MAX_ELEMENTS} elements` };
    if (root !== undefined) break; // content after the root element is ignored
    if (selfClosing) {
      if (stack.length > 0) stack[stack.length - 1].children.push({ name, value: '' });
      else {
        root = { name, value: '' };
        break;
      }
      continue;
    }
    if (stack.length >= MAX_DEPTH) return { error: `elements nested deeper than ${MAX_DEPTH}` };
    stack.push({ name, children: [], text: '' });
  }

  if (root) return { root: root.name, value: root.value, truncated: false };
  if (stack.length === 0) return { error: 'no XML element found' };
  // Cut off: close what is open, keeping what was read.
  while (stack.length > 1) {
    const done = stack.pop()!;
    stack[stack.length - 1].children.push({ name: done.name, value: frameValue(done) });
  }
  const top = stack[0];
  return { root: top.name, value: frameValue(top), truncated: true };
}

function findTagEnd(text: string, from: number): number {
  // Attribute values may contain '>' inside quotes.
  let quote: string | undefined;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
    else if (c === '<') return -1; // a new tag before this one closed: broken
  }
  return -1;
}

function frameValue(f: Frame): XmlValue {
  if (f.children.length === 0) return f.text.trim();
  const obj: XmlObject = {};
  for (const c of f.children) {
    if (c.name === '__proto__' || c.name === 'constructor' || c.name === 'prototype') continue;
    const existing = Object.prototype.hasOwnProperty.call(obj, c.name) ? obj[c.name] : undefined;
    if (existing === undefined) obj[c.name] = c.value;
    else if (Array.isArray(existing)) existing.push(c.value);
    else obj[c.name] = [existing, c.value];
  }
  return obj;
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon >= 0 ? qualified.slice(colon + 1) : qualified;
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,4});/g, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return code >= 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED[ent] ?? whole;
  });
}

/** Escapes text for an XML element or attribute value. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}
