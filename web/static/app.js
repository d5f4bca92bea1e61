// parley's page script: live lines and presence over server-sent events,
// and posting without a reload. The page works without it.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf"]');
  if (!meta || !window.EventSource) return;
  var csrf = meta.content;
  var list = document.getElementById("lines");
  var room = list ? list.dataset.room : "";
  var live = list && list.dataset.live === "1";
  var tz = list ? list.dataset.tz : undefined;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clock(iso) {
    var d = new Date(iso), o = { hour: "2-digit", minute: "2-digit", hour12: false };
    try { if (tz) o.timeZone = tz; return d.toLocaleTimeString([], o); }
    catch (e) { delete o.timeZone; return d.toLocaleTimeString([], o); }
  }
  function size(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + " MB";
    if (n >= 1024) return Math.round(n / 1024) + " KB";
    return n + " bytes";
  }
  var scroller = document.getElementById("scroll");
  var meId = (document.querySelector('meta[name="me"]') || {}).content || "";
  // The lines scroll in a column-reverse box: it opens at the bottom
  // without a script, and its scrollTop is 0 there, negative above.
  function nearBottom() { return !scroller || scroller.scrollTop > -40; }
  function toBottom() { if (scroller) scroller.scrollTop = 0; }

  // Line text as the page shows it: web addresses as links, mentions of
  // the reader marked; everything else as plain text.
  function rich(parent, text) {
    var re = /\bhttps?:\/\/[^\s<>"]+|@[A-Za-z0-9][A-Za-z0-9._-]*/g, last = 0, m;
    while ((m = re.exec(text))) {
      var s = m[0], before = text.charAt(m.index - 1);
      if (s[0] === "@") {
        var id = s.slice(1).replace(/[._-]+$/, "").toLowerCase();
        if (id !== meId || /[\w@.]/.test(before)) continue;
        s = s.slice(0, id.length + 1);
      } else s = s.replace(/[.,;:!?)\]}']+$/, "");
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var e;
      if (s[0] === "@") e = el("mark", "me", s);
      else { e = el("a", "", s); e.href = s; e.rel = "noopener noreferrer"; e.target = "_blank"; }
      parent.appendChild(e);
      last = m.index + s.length;
      re.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }
  function mentionsMe(text) {
    var t = document.createElement("span");
    return !!rich(t, text || "").querySelector("mark");
  }

  // Day separators, in the reader's language and zone.
  function dayOf(iso) {
    try { return new Date(iso).toLocaleDateString("en-CA", { timeZone: tz }); }
    catch (e) { return new Date(iso).toLocaleDateString("en-CA"); }
  }
  function dayText(day) {
    var today = dayOf(new Date().toISOString()), d = new Date(day + "T12:00:00Z");
    var diff = Math.round((new Date(today + "T12:00:00Z") - d) / 864e5);
    if (diff === 0 || diff === 1) {
      try {
        var s = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(-diff, "day");
        return s.charAt(0).toUpperCase() + s.slice(1);
      } catch (e) { return diff ? "Yesterday" : "Today"; }
    }
    var o = { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" };
    if (day.slice(0, 4) !== today.slice(0, 4)) o.year = "numeric";
    return d.toLocaleDateString(undefined, o);
  }
  if (list) list.querySelectorAll("li.day").forEach(function (d) { d.textContent = dayText(d.dataset.day); });

  var origins = { email: ["\u2709", "came in by email"], sms: ["\u260e", "came in by text message"] };

  // addLine appends a line of this room unless it is there already. A room's
  // ids only grow, so a line not after the last one shown is one the page
  // has, or older history that a resumed stream sends again (it starts a
  // little before the last line seen): never appended at the bottom.
  function addLine(l) {
    if (document.getElementById("l-" + l.id) || !after(l.id, list.dataset.last)) return;
    var stick = nearBottom();
    var prev = list.querySelector("li.line:last-of-type"), day = dayOf(l.time);
    var lastDay = prev ? dayOf(prev.querySelector("time").getAttribute("datetime")) : "";
    if (day !== lastDay) {
      var sep = el("li", "day", dayText(day));
      sep.setAttribute("role", "separator");
      sep.dataset.day = day;
      list.appendChild(sep);
    }
    var li = el("li", "line o-" + (l.origin || "web"));
    li.id = "l-" + l.id;
    li.dataset.author = l.author;
    if (prev && day === lastDay && prev.dataset.author === l.author && !/o-(system|autoreply)/.test(li.className) &&
      prev.className.indexOf("o-" + l.origin) >= 0 && new Date(l.time) - new Date(prev.querySelector("time").getAttribute("datetime")) < 3e5) {
      li.className += " cont";
    }
    var t = el("time", "", clock(l.time));
    t.setAttribute("datetime", l.time);
    li.appendChild(t);
    var o = origins[l.origin];
    if (o) {
      li.appendChild(document.createTextNode(" "));
      var om = el("span", "om", o[0]);
      om.title = o[1];
      om.tabIndex = 0;
      li.appendChild(om);
    }
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("b", "", l.name + ":"));
    li.appendChild(document.createTextNode(" "));
    if (l.unverified) {
      var u = el("span", "unverified", "unverified");
      u.title = "sent by email from an address whose domain did not confirm it: it may not be from this member";
      li.appendChild(u);
      li.appendChild(document.createTextNode(" "));
    }
    li.appendChild(rich(el("span", "t"), l.text || ""));
    (l.attachments || []).forEach(function (a) { li.appendChild(fileBit(l, a)); });
    meetingBit(li, l);
    if (l.quote) {
      var q = el("details", "q");
      q.appendChild(el("summary", "", "show quoted text"));
      q.appendChild(el("pre", "", l.quote));
      li.appendChild(q);
    }
    list.appendChild(li);
    list.dataset.last = l.id;
    if (stick && (l.author === meId || looking())) toBottom();
    else if (l.author !== meId) { fresh++; showMark(); }
    readSoon();
  }

  // "N new lines ↓": lines that came while the reader was scrolled up or
  // away. They stay unread until they have been on screen.
  var fresh = 0, mark = document.getElementById("newmark");
  function showMark() {
    if (!mark) return;
    mark.hidden = fresh === 0;
    mark.textContent = fresh + (fresh === 1 ? " new line \u2193" : " new lines \u2193");
    title();
  }
  if (mark) mark.addEventListener("click", function () { toBottom(); readSoon(); });
  if (scroller) scroller.addEventListener("scroll", function () {
    if (fresh && nearBottom() && looking()) { fresh = 0; showMark(); }
    readSoon();
  }, { passive: true });

  // The tab's title carries the unread count of every room.
  var baseTitle = document.title.replace(/^\(\d+\+?\) /, "");
  function title() {
    var n = fresh;
    document.querySelectorAll(".roomlist li:not([aria-current]) .badge:not(.at)").forEach(function (b) {
      if (!b.hidden && !b.closest("a[aria-current]")) n += parseInt(b.textContent, 10) || 0;
    });
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }
  function after(a, b) {
    if (!b) return true;
    var x = a.split("-"), y = b.split("-");
    return +x[0] > +y[0] || (+x[0] === +y[0] && +(x[1] || 0) > +(y[1] || 0));
  }
  function bump(l) {
    var item = document.getElementById("r-" + l.room);
    if (!item || l.author === meId || !after(l.id, item.dataset.upto)) return;
    item.dataset.upto = l.id;
    item.className = "unread";
    var b = item.querySelector(".badge:not(.at)");
    if (b) { b.textContent = (parseInt(b.textContent, 10) || 0) + 1; b.hidden = false; }
    if (mentionsMe(l.text) && !item.querySelector(".at")) {
      var at = el("span", "badge at", "@");
      at.title = "mentions you";
      item.querySelector("a").insertBefore(at, b);
    }
    title();
  }
  // fileBit shows one file of a line: name, type and size; an image gets a
  // button that loads its thumbnail only when tapped (issue 16).
  function fileBit(l, a) {
    var span = el("span", "file", " "), src = "/api/rooms/" + encodeURIComponent(l.room) + "/files/" +
      encodeURIComponent(a.id) + "?line=" + encodeURIComponent(l.id);
    var link = el("a", "att", a.name);
    link.href = src;
    span.appendChild(link);
    span.appendChild(el("span", "muted", " (" + (a.type ? a.type + ", " : "") + size(a.size || 0) + ")"));
    if (/^image\//.test(a.type || "") && a.type !== "image/svg+xml") {
      var b = el("button", "thumb", "show");
      b.type = "button";
      b.dataset.src = src;
      span.appendChild(document.createTextNode(" "));
      span.appendChild(b);
    }
    return span;
  }
  // meetingBit adds the Join button of a meeting line (its "meeting" link).
  function meetingBit(li, l) {
    var link = l.meeting || "";
    if (l.origin !== "system" || !/^https?:\/\/\S+$/.test(link)) return;
    var a = el("a", "join", "Join");
    a.href = link;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    li.appendChild(document.createTextNode(" "));
    li.appendChild(a);
  }
  // showThumb loads an image's thumbnail in place of its button.
  document.addEventListener("click", function (e) {
    var b = e.target;
    if (!b.classList || !b.classList.contains("thumb")) return;
    var img = document.createElement("img");
    img.className = "thumbnail";
    img.alt = "";
    img.src = b.dataset.src;
    b.replaceWith(img);
  });

  // Read markers: a line counts as read only once it has been on screen
  // in a visible, focused page. A tab nobody looks at reads nothing, so the
  // line stays unread for the email batch and the digest.
  var readTimer = null, readSent = list ? list.dataset.read || "" : "";
  function looking() { return document.visibilityState === "visible" && document.hasFocus(); }
  function lastOnScreen() {
    var items = list.querySelectorAll("li.line"), box = scroller.getBoundingClientRect();
    for (var i = items.length - 1; i >= 0; i--) {
      var r = items[i].getBoundingClientRect();
      if (r.top < box.bottom && r.bottom > box.top) return items[i].id.slice(2);
    }
    return "";
  }
  function readSoon() {
    if (!live || readTimer || !looking()) return;
    readTimer = setTimeout(function () {
      readTimer = null;
      if (!looking()) return;
      var id = lastOnScreen();
      if (fresh && nearBottom()) { fresh = 0; showMark(); }
      if (!id || id === readSent) return;
      readSent = id;
      send("POST", "/api/rooms/" + encodeURIComponent(room) + "/read", { line: id });
    }, 1500);
  }

  // Presence from activity: the page says "active" on real input (key,
  // pointer, touch, focus), at most once per interval well within the idle
  // time, and "idle" as soon as it is hidden. The live stream itself only
  // says the page is open.
  var idleMeta = document.querySelector('meta[name="idle-after"]');
  var idleAfter = idleMeta ? parseInt(idleMeta.content, 10) || 300000 : 300000;
  var every = Math.max(250, Math.min(30000, Math.floor(idleAfter / 3)));
  var client = "tab-" + Math.random().toString(36).slice(2, 12);
  var lastActive = 0;
  function beat(state) {
    fetch("/api/me/heartbeat", {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ state: state, client: client })
    }).catch(function () {});
  }
  function activity() {
    if (document.visibilityState !== "visible") return;
    readSoon();
    var now = Date.now();
    if (now - lastActive < every) return;
    lastActive = now;
    beat("active");
  }
  ["keydown", "pointerdown", "pointermove", "touchstart", "wheel"].forEach(function (kind) {
    window.addEventListener(kind, activity, { passive: true, capture: true });
  });
  window.addEventListener("focus", activity);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { activity(); return; }
    lastActive = 0;
    beat("idle");
  });
  if (looking()) activity();

  function reachText(m) {
    if (m.unreachable && m.state !== "online") return "no channel reaches " + m.name;
    if (m.reach.channel === "email") return "by email";
    if (m.reach.channel === "sms") return "by text message";
    if (m.reach.channel === "digest") return "held for the digest (" + m.reach.reason + ")";
    return "";
  }
  function setPresence(m) {
    var li = document.getElementById("m-" + m.id);
    if (!li) return;
    li.className = "s-" + m.state;
    li.querySelector(".st").textContent = m.state;
    var text = m.status && m.status.text ? "\u201c" + m.status.text + "\u201d" : "";
    li.querySelector(".tx").textContent = text;
    var me = document.querySelector("nav a[href='/me']");
    var r = reachText(m);
    li.querySelector(".rc").textContent = r && !(me && me.textContent === m.name) ? " \u2014 " + r : "";
    var es = li.querySelector(".es");
    if (es) es.textContent = m.escalates && !(me && me.textContent === m.name) ? escText(m.escalates) : "";
  }
  // escText: " · escalates to text at 10:32", in the page's time zone.
  function escText(e) {
    var tz = (document.getElementById("lines") || {dataset: {}}).dataset.tz;
    var at = new Date(e.at).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: tz || undefined });
    return " \u00b7 escalates to " + (e.channel === "sms" ? "text" : e.channel) + " at " + at;
  }

  function send(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    });
  }

  var url = "/api/stream";
  if (live && list.dataset.last) url += "?last=" + encodeURIComponent(list.dataset.last);
  var es = new EventSource(url);
  es.addEventListener("line", function (e) {
    var l = JSON.parse(e.data);
    notify(l);
    if (live && l.room === room) { addLine(l); return; }
    bump(l);
  });
  es.addEventListener("presence", function (e) {
    var p = JSON.parse(e.data);
    if (p.room === room) setPresence(p.member);
  });
  es.addEventListener("joined", function () { if (!room) location.reload(); });
  es.addEventListener("left", function (e) {
    if (JSON.parse(e.data).room === room) location.href = "/";
  });
  es.addEventListener("reset", function () { es.close(); location.reload(); });

  // Posting: through the API, so the page stays; the line comes back live.
  var form = document.getElementById("post-form");
  if (form && live) {
    var box = document.getElementById("post-text"), problem = document.getElementById("post-error");
    // Enter sends at a keyboard; on a touch screen it is a new line (the
    // Send button sends).
    var touch = window.matchMedia && matchMedia("(pointer: coarse)").matches;
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !touch) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = box.value.replace(/\s+$/, "");
      if (!text) return;
      problem.hidden = true;
      send("POST", "/api/rooms/" + encodeURIComponent(room) + "/lines", { text: text }).then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.error || res.statusText);
          box.value = "";
          var line = body.line || (body.posted && body.posted.line);
          if (line) addLine(line);
        });
      }).catch(function (err) {
        problem.textContent = "Not sent: " + err.message;
        problem.hidden = false;
      });
    });
  }
  if (live) {
    toBottom();
    readSoon();
  }

  // Notifications: for lines that mention the reader or come in a direct
  // room while the tab is hidden. Permission is asked once, when the
  // reader first sends a line (a user action), never on load.
  function notify(l) {
    if (!window.Notification || Notification.permission !== "granted" || l.author === meId || document.visibilityState === "visible") return;
    var item = document.getElementById("r-" + l.room);
    if (!mentionsMe(l.text) && !(item && item.dataset.kind === "direct")) return;
    var n = new Notification(l.name, { body: (l.text || "").slice(0, 200), tag: l.room });
    n.onclick = function () { window.focus(); location.href = "/rooms/" + encodeURIComponent(l.room) + "#end"; };
  }
  document.addEventListener("submit", function () {
    if (window.Notification && Notification.permission === "default" && !localStorage.getItem("parley-asked")) {
      localStorage.setItem("parley-asked", "1");
      Notification.requestPermission();
    }
  }, true);
})();
