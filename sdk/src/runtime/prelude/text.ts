/**
 * UTF-8 TextEncoder / TextDecoder and atob / btoa: isolates have none of them
 * (the node runtime's worker keeps the platform's own, see index.ts).
 */

/** A UTF-8 `TextEncoder`; lone surrogates become U+FFFD. */
export class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input: unknown = ''): Uint8Array {
    const s = String(input); const out: number[] = [];
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } else c = 0xfffd;
      } else if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }
}

/** A UTF-8 `TextDecoder` (the only label it takes), with `fatal` and `stream`. */
export class TextDecoder {
  // Assigned in the constructor, as the platform's: `declare` keeps them out of the emitted class.
  declare fatal: boolean;
  declare pending: number[];
  constructor(label: unknown = 'utf-8', options: { readonly fatal?: boolean } = {}) {
    const l = String(label).toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8') throw new RangeError('TextDecoder: only utf-8 is supported, got ' + label);
    this.fatal = !!options.fatal; this.pending = [];
  }
  get encoding() { return 'utf-8'; }
  decode(input?: ArrayBuffer | ArrayBufferView, options: { readonly stream?: boolean } = {}): string {
    let bytes = input === undefined ? new Uint8Array(0) : input instanceof Uint8Array ? input : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    if (this.pending.length) { const m = new Uint8Array(this.pending.length + bytes.length); m.set(this.pending); m.set(bytes, this.pending.length); bytes = m; this.pending = []; }
    let out = ''; let i = 0; const n = bytes.length; const parts: string[] = [];
    while (i < n) {
      const b = bytes[i]!; let need = 0, cp = 0;
      if (b < 0x80) { cp = b; }
      else if (b >= 0xc2 && b < 0xe0) { need = 1; cp = b & 31; }
      else if (b >= 0xe0 && b < 0xf0) { need = 2; cp = b & 15; }
      else if (b >= 0xf0 && b < 0xf5) { need = 3; cp = b & 7; }
      else { if (this.fatal) throw new TypeError('invalid utf-8'); out += '\ufffd'; i++; continue; }
      if (i + need >= n && need > 0 && options.stream) { this.pending = Array.from(bytes.subarray(i)); break; }
      let ok = i + need < n || need === 0;
      for (let k = 1; ok && k <= need; k++) { const x = bytes[i + k]!; if ((x & 0xc0) !== 0x80) ok = false; else cp = (cp << 6) | (x & 63); }
      if (!ok || (need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff))) {
        if (this.fatal) throw new TypeError('invalid utf-8'); out += '\ufffd'; i++; continue;
      }
      out += String.fromCodePoint(cp); i += need + 1;
      if (out.length > 8192) { parts.push(out); out = ''; }
    }
    parts.push(out);
    return parts.join('');
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of a Latin-1 string. */
export function btoa(input: unknown): string {
  const s = String(input); let out = '';
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
    if (a > 255 || b > 255 || c > 255) throw new Error('btoa: character outside Latin-1');
    const t = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += B64[t >> 18]! + B64[(t >> 12) & 63]! + (i + 1 < s.length ? B64[(t >> 6) & 63] : '=') + (i + 2 < s.length ? B64[t & 63] : '=');
  }
  return out;
}

/** The Latin-1 string a base64 text encodes (white space and padding ignored). */
export function atob(input: unknown): string {
  const s = String(input).replace(/[\s=]+/g, ''); let out = '', buf = 0, bits = 0;
  for (const ch of s) { const v = B64.indexOf(ch); if (v < 0) throw new Error('atob: invalid base64'); buf = (buf << 6) | v; bits += 6; if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); } }
  return out;
}
