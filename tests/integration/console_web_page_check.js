// SPDX-License-Identifier: MIT
// Runs the web console page's script in node with a stand-in DOM, as a
// browser would, and checks what it shows and sends. Reads the page on stdin;
// prints "ok: ..." / "not ok: ..." lines, exits 1 if any check failed.
'use strict';
const vm = require('vm');

const html = require('fs').readFileSync(0, 'utf8');
const script = html.slice(html.indexOf('<script>') + 8, html.lastIndexOf('</script>'));
let failed = 0;
function check(cond, what) {
  console.log((cond ? 'ok: ' : 'not ok: ') + what);
  if (!cond) failed++;
}

class Node_ {
  constructor(text) { this.textContent = text || ''; this.children = []; this.id = ''; }
  appendChild(c) { this.children.push(c); return c; }
  set textContent(t) { this._text = t; this.children = []; }
  get textContent() { return this._text + (this.children || []).map(c => c.textContent).join(''); }
}
const out = new Node_();
const listeners = {};
const posts = [];
let source = null;
class EventSource {
  constructor(url) { this.url = url; this.readyState = 1; this.events = {}; source = this; }
  addEventListener(name, f) { this.events[name] = f; }
  close() { this.readyState = 2; }
}
EventSource.CLOSED = 2;
const sandbox = {
  location: { search: '?token=abc123' },
  crypto: { getRandomValues: a => a.fill(7) },
  document: {
    getElementById: () => out,
    createElement: () => new Node_(),
    createTextNode: t => new Node_(t),
    addEventListener: (name, f) => { listeners[name] = f; },
    body: { scrollHeight: 0 },
  },
  window: { innerHeight: 0, scrollY: 0, scrollTo: () => {} },
  requestAnimationFrame: f => f(),
  fetch: (url, opts) => { posts.push([url, Buffer.from(opts.body).toString('latin1')]); return Promise.resolve(); },
  EventSource, TextDecoder, TextEncoder, Uint8Array, Promise, String, Array, URLSearchParams,
  atob: s => Buffer.from(s, 'base64').toString('latin1'),
  console,
};
vm.createContext(sandbox);
vm.runInContext(script, sandbox);

const session = '07'.repeat(16);
check(source && source.url === 'output?token=abc123&session=' + session, 'opens output with its token and session');
function feed(bytes) { source.onmessage({ data: Buffer.from(bytes, 'latin1').toString('base64') }); }
feed('vessel-guest: boot\r\nab\bc\x1b[1;32mX\x1b[0m\r\n');
check(out.textContent === 'vessel-guest: boot\nacX\n ', 'lines, backspace, colour codes dropped: ' + JSON.stringify(out.textContent));
feed('progress 10%\rprogress 99%');
check(out.textContent.endsWith('progress 99% '), 'a carriage return rewrites the line: ' + JSON.stringify(out.textContent.slice(-20)));
feed('caf\xc3');
feed('\xa9\r\n');
check(out.textContent.includes('café'), 'UTF-8 split across events decodes: ' + JSON.stringify(out.textContent.slice(-10)));
function key(k, extra) {
  let prevented = false;
  listeners.keydown(Object.assign({ key: k, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false,
                                    preventDefault: () => { prevented = true; } }, extra || {}));
  return prevented;
}
key('h'); key('i'); key('Enter'); key('c', { ctrlKey: true }); key('ArrowUp'); key('Shift');
setTimeout(() => {
  const sent = posts.map(p => p[1]).join('');
  check(posts.every(p => p[0] === 'input?token=abc123&session=' + session), 'keys go to input with token and session');
  check(sent === 'hi\r\x03\x1b[A', 'keys as a terminal sends them: ' + JSON.stringify(sent));
  source.events.end({ data: 'the VM stopped' });
  check(source.readyState === 2 && out.textContent.includes('[console closed: the VM stopped]'),
        'the end event closes the stream and says so');
  process.exit(failed ? 1 : 0);
}, 50);
