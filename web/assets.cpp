// The web view's stylesheet and script, served from the binary as /assets/view.css and
// /assets/view.js (the only files the pages load).
#include "web/pages.hpp"

namespace firebreak::web {

std::string_view stylesheet() {
    return R"CSS(:root { color-scheme: light dark; --line: #8884; --muted: #777; --sev1: #c0262d; --sev2: #d9730d; --sev3: #b59a00; --sev4: #4a7ab5; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
.bar { display: flex; gap: 1rem; align-items: center; padding: .5rem 1.25rem; border-bottom: 1px solid var(--line); }
.bar .home { font-weight: 700; text-decoration: none; color: inherit; }
.bar .who { margin-left: auto; color: var(--muted); }
.bar form { margin: 0; }
.live { font-size: .8rem; padding: 0 .4rem; border-radius: .6rem; background: #2a8a3e; color: #fff; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; }
tr.sev1 td.sev, .statusline.sev1 .sev { color: var(--sev1); font-weight: 700; }
tr.sev2 td.sev, .statusline.sev2 .sev { color: var(--sev2); font-weight: 700; }
tr.sev3 td.sev, .statusline.sev3 .sev { color: var(--sev3); font-weight: 700; }
tr.sev4 td.sev, .statusline.sev4 .sev { color: var(--sev4); font-weight: 700; }
.overdue { color: var(--sev1); }
tr.overdue td:first-child { border-left: 4px solid var(--sev1); }
.tag { font-size: .75rem; padding: 0 .35rem; border: 1px solid var(--line); border-radius: .3rem; }
.statusline { font-size: 1.05rem; }
.empty, .asof, .count, .by, .evidence { color: var(--muted); }
.timeline tr.system td { color: var(--muted); }
.timeline tr.highlight td { background: #f5c51822; }
.timeline tr.deleted td { font-style: italic; }
.mark { color: #d4a000; }
li.confirmed .outcome { color: #2a8a3e; font-weight: 600; }
li.ruled-out .outcome { color: var(--muted); }
article.update { border-left: 3px solid var(--line); padding-left: .75rem; margin-bottom: 1rem; }
article.update h3 { font-size: 1rem; margin: .25rem 0; }
dl { display: grid; grid-template-columns: 8rem 1fr; gap: .2rem .75rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; white-space: pre-wrap; }
.local { color: var(--muted); font-size: .85em; }
.chart svg { max-width: 100%; height: auto; }
.filters { margin: .5rem 0 1rem; }
.error { color: var(--sev1); }
.login form { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
)CSS";
}

std::string_view script() {
    return R"JS('use strict';
// Local times beside the UTC ones, and live updates: the server says which incident
// changed; the page fetches itself again and swaps its main part in.
(function () {
  function localTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      if (t.nextSibling && t.nextSibling.className === 'local') return;
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d)) return;
      var s = document.createElement('span');
      s.className = 'local';
      s.textContent = ' (' + d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit',
        minute: '2-digit', timeZoneName: 'short' }) + ')';
      t.after(s);
    });
  }
  localTimes(document);
  var topic = document.body.dataset.live;
  if (!topic || !window.EventSource) return;
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.status === 401) { location.reload(); return null; }
      return r.ok ? r.text() : null;
    }).then(function (text) {
      if (text === null || text === undefined) return;
      var doc = new DOMParser().parseFromString(text, 'text/html');
      var fresh = doc.getElementById('main'), old = document.getElementById('main');
      if (!fresh || !old) return;
      old.replaceWith(fresh);
      document.title = doc.title;
      localTimes(fresh);
      document.body.dataset.updated = String(Date.now());
    }).catch(function () {}).finally(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }
  var live = document.getElementById('live');
  var events = new EventSource('/events?topic=' + encodeURIComponent(topic));
  events.addEventListener('open', function () { if (live) live.hidden = false; });
  events.addEventListener('error', function () { if (live) live.hidden = true; });
  events.addEventListener('change', refresh);
})();
)JS";
}

}  // namespace firebreak::web
