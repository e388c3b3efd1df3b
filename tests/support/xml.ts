/**
 * A strict XML 1.0 well-formedness checker (no DTDs) for tests that parse
 * the SVG the examples write.
 *
 * @module
 */

/** An element: name, attributes, children, text. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const INVALID_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;

/** Parses `src`, throwing SyntaxError where it is not well-formed XML. */
export function parseXml(src: string): XmlElement {
  const bad = src.match(INVALID_CHAR);
  if (bad) {
    throw new SyntaxError(
      `character U+${bad[0].charCodeAt(0).toString(16)} is not allowed`,
    );
  }
  let pos = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(
      `${why} at offset ${pos}: ${JSON.stringify(src.slice(pos, pos + 20))}`,
    );
  };
  const skipSpace = () => {
    while (pos < src.length && " \t\r\n".includes(src[pos])) pos++;
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(src);
    if (!m) fail("expected a name");
    pos += m![0].length;
    return m![0];
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;]*);?/g, (all, body: string) => {
      if (!all.endsWith(";")) fail(`unterminated reference ${all}`);
      const named: Record<string, string> = {
        lt: "<",
        gt: ">",
        amp: "&",
        quot: '"',
        apos: "'",
      };
      if (body in named) return named[body];
      const m = body.match(/^#(?:([0-9]+)|x([0-9a-fA-F]+))$/);
      if (!m) return fail(`unknown entity &${body};`);
      const code = m[1] !== undefined ? parseInt(m[1], 10) : parseInt(m[2], 16);
      if (code > 0x10ffff) fail("reference out of range");
      const ch = String.fromCodePoint(code);
      if (INVALID_CHAR.test(ch)) {
        fail(`reference to a forbidden character ${code}`);
      }
      return ch;
    });
  const misc = () => {
    for (;;) {
      skipSpace();
      if (src.startsWith("<!--", pos)) comment();
      else if (src.startsWith("<?", pos) && !src.startsWith("<?xml", pos)) pi();
      else return;
    }
  };
  const comment = () => {
    const end = src.indexOf("-->", pos + 4);
    if (end < 0) fail("unterminated comment");
    if (src.slice(pos + 4, end).includes("--")) fail("'--' inside a comment");
    pos = end + 3;
  };
  const pi = () => {
    const end = src.indexOf("?>", pos);
    if (end < 0) fail("unterminated processing instruction");
    pos = end + 2;
  };
  const element = (): XmlElement => {
    if (src[pos] !== "<") fail("expected '<'");
    pos++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: "" };
    for (;;) {
      const before = pos;
      skipSpace();
      if (src.startsWith("/>", pos)) {
        pos += 2;
        return el;
      }
      if (src[pos] === ">") {
        pos++;
        break;
      }
      if (pos === before) fail("expected whitespace before an attribute");
      const key = name();
      skipSpace();
      if (src[pos] !== "=") fail("expected '='");
      pos++;
      skipSpace();
      const quote = src[pos];
      if (quote !== '"' && quote !== "'") {
        fail("attribute values must be quoted");
      }
      const end = src.indexOf(quote, pos + 1);
      if (end < 0) fail("unterminated attribute value");
      const raw = src.slice(pos + 1, end);
      if (raw.includes("<")) fail("'<' in an attribute value");
      if (Object.hasOwn(el.attrs, key)) fail(`duplicate attribute ${key}`);
      el.attrs[key] = decode(raw);
      pos = end + 1;
    }
    for (;;) {
      const next = src.indexOf("<", pos);
      if (next < 0) fail(`unclosed element <${el.name}>`);
      const raw = src.slice(pos, next);
      if (raw.includes("]]>")) fail("']]>' in text");
      el.text += decode(raw);
      pos = next;
      if (src.startsWith("</", pos)) {
        pos += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipSpace();
        if (src[pos] !== ">") fail("expected '>'");
        pos++;
        return el;
      }
      if (src.startsWith("<!--", pos)) comment();
      else if (src.startsWith("<![CDATA[", pos)) {
        const end = src.indexOf("]]>", pos);
        if (end < 0) fail("unterminated CDATA");
        el.text += src.slice(pos + 9, end);
        pos = end + 3;
      } else if (src.startsWith("<?", pos)) pi();
      else if (src.startsWith("<!", pos)) fail("declarations are not allowed");
      else el.children.push(element());
    }
  };
  if (src.startsWith("<?xml", pos)) pi();
  misc();
  const root = element();
  misc();
  if (pos !== src.length) fail("content after the root element");
  return root;
}
