// HTML character references (`&amp;`, `&#62;`, `&#x3e;` and the rest of the
// HTML5 table, legacy forms without `;` included), decoded as the HTML
// standard says, by the `entities` library: text as Python's html.unescape
// does (what pip's html.parser applies), attribute values as browsers and
// html5lib do, where a legacy reference followed by `=` or a letter or digit
// stays as written, so an href's `?a=1&copy=2` keeps its query.
// Spec: https://html.spec.whatwg.org/multipage/parsing.html#character-reference-state
import { decodeHTML, decodeHTMLAttribute } from 'entities';

/** Decodes the character references of HTML text. */
export function decodeHtmlText(text: string): string {
  return decodeHTML(text);
}

/** Decodes the character references of an HTML attribute value. */
export function decodeHtmlAttribute(value: string): string {
  return decodeHTMLAttribute(value);
}
