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
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.offsetHeight - 80;
  }

  // addLine appends a line of this room unless it is there already.
  function addLine(l) {
    if (document.getElementById("l-" + l.id)) return;
    var stick = nearBottom();
    var li = el("li", "line o-" + (l.origin || "web"));
    li.id = "l-" + l.id;
    var t = el("time", "", clock(l.time));
    t.setAttribute("datetime", l.time);
    li.appendChild(t);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("b", "", l.name + ":"));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "t", l.text));
    (l.attachments || []).forEach(function (a) { li.appendChild(fileBit(l, a)); });
    meetingBit(li, l);
    list.appendChild(li);
    list.dataset.last = l.id;
    if (stick) li.scrollIntoView({ block: "end" });
    readSoon();
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
  // meetingBit adds the Join button of a meeting line ("meet:NONCE URL").
  function meetingBit(li, l) {
    var m = /^meet:\S+ (https?:\/\/\S+)$/.exec(l.source_id || "");
    if (l.origin !== "system" || !m) return;
    var a = el("a", "join", "Join");
    a.href = m[1];
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
    var items = list.querySelectorAll("li.line"), h = window.innerHeight;
    for (var i = items.length - 1; i >= 0; i--) {
      var r = items[i].getBoundingClientRect();
      if (r.top < h && r.bottom > 0) return items[i].id.slice(2);
    }
    return "";
  }
  function readSoon() {
    if (!live || readTimer || !looking()) return;
    readTimer = setTimeout(function () {
      readTimer = null;
      if (!looking()) return;
      var id = lastOnScreen();
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
  window.addEventListener("scroll", readSoon, { passive: true });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { activity(); return; }
    lastActive = 0;
    beat("idle");
  });
  if (looking()) activity();

  function reachText(m) {
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
    if (live && l.room === room) { addLine(l); return; }
    var item = document.getElementById("r-" + l.room);
    if (item) item.className = "unread";
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
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
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
    var last = list.lastElementChild;
    if (last) last.scrollIntoView({ block: "end" });
    readSoon();
  }
})();
