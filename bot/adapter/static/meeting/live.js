// The session, live, in the meeting's side panel or on its stage. No build step: plain ES2017.
// The server sends the state by long polling (it answers when the session changes); the clock
// ticks here, every second, from the time left the server last gave.
"use strict";
(function () {
  var teams = window.microsoftTeams;
  var API = new URL("api/", window.location.href).href;
  var WARN = 120, URGENT = 30;
  var HOW_TO_OPEN = "Open this page in Microsoft Teams: in the set's meeting, choose Apps, then " +
    "Action Learning Sets, to see it in the side panel.";

  var chatId = "", token = "", frame = "", state = null, tag = "", inTeams = false;
  var received = 0;        // performance.now() when `state` arrived
  var shownSecond = null;  // the second on the clock now
  var announced = "";      // the last warning read out, per stage

  function $(id) { return document.getElementById(id); }

  function setTheme(theme) {
    var name = theme === "dark" ? "dark" : theme === "contrast" ? "contrast" : "default";
    document.body.className = document.body.className.replace(/\btheme-\w+/g, "").trim() +
      " theme-" + name;
  }

  function problem(text) {
    var p = $("problem");
    p.textContent = text || "";
    p.hidden = !text;
    if (text) {
      $("session-line").textContent = "";
    }
  }

  function getToken(force) {
    if (!inTeams) { return Promise.resolve(""); }
    if (token && !force) { return Promise.resolve(token); }
    return teams.authentication.getAuthToken().then(function (t) { token = t; return t; });
  }

  function call(method, path, body, retried) {
    return Promise.resolve().then(function () { return getToken(retried); })
      .catch(function () { return ""; }).then(function (t) {
      var headers = { "Accept": "application/json" };
      if (t) { headers.Authorization = "Bearer " + t; }
      if (body) { headers["Content-Type"] = "application/json"; }
      return fetch(API + path, {
        method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
        cache: "no-store", credentials: "omit"
      });
    }).then(function (r) {
      if (r.status === 401 && token && !retried) { return call(method, path, body, true); }
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, data: data };
      });
    });
  }

  // ---- the clock ----------------------------------------------------------------------------

  function left() {
    if (!state || state.time_left === null || state.time_left === undefined) { return null; }
    if (state.paused) { return state.time_left; }
    return state.time_left - Math.floor((performance.now() - received) / 1000);
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function clockText(seconds) {
    var s = Math.abs(seconds), m = Math.floor(s / 60);
    return (seconds < 0 ? "+" : "") + m + ":" + two(s % 60);
  }

  function spoken(seconds) {
    var s = Math.abs(seconds), m = Math.floor(s / 60), r = s % 60, parts = [];
    if (m) { parts.push(m + (m === 1 ? " minute" : " minutes")); }
    if (r || !m) { parts.push(r + (r === 1 ? " second" : " seconds")); }
    return parts.join(" ");
  }

  function currentPhase(l) {
    var found = null;
    (state.phases || []).forEach(function (p) { if (l <= p.starts_at_left) { found = p; } });
    return found;
  }

  function band(l) {
    if (l === null) { return "idle"; }
    if (l <= 0) { return "over"; }
    if (l <= URGENT) { return "urgent"; }
    if (l <= WARN) { return "warn"; }
    return "normal";
  }

  function who() { return state.presenter || state.stage_title; }

  function announce(b, l) {
    var key = tag.split(":").slice(0, 1).join() + "|" + (state.presenter || state.stage) + "|" +
      (state.allotted || 0) + "|" + b;
    if (key === announced) { return; }
    var first = announced === "";
    announced = key;
    if (first || state.paused) { return; }
    var text = b === "warn" ? "2 minutes left for " + who() :
      b === "urgent" ? "30 seconds left for " + who() :
      b === "over" ? "Time is up for " + who() : "";
    if (text) { $("announce").textContent = text; }
  }

  function tick() {
    if (!state) { return; }
    var l = left();
    if (l === shownSecond) { return; }
    shownSecond = l;
    var b = band(l);
    var box = $("clock-box");
    box.className = "clock-box band-" + b + (state.paused ? " paused" : "");
    if (l === null) {
      $("clock").textContent = "--:--";
      $("clock-note").textContent = state.stage === "ended" ? "The session has ended." :
        state.stage === "not_started" ? "The session has not started yet." : "";
    } else {
      $("clock").textContent = clockText(l);
      $("clock").parentNode.setAttribute("aria-label", l < 0 ? "Over time by " + spoken(l) :
        "Time left: " + spoken(l));
      $("clock-note").textContent = state.paused ? "Paused" :
        l < 0 ? "Time is up: " + spoken(l) + " over" :
        l <= URGENT ? "30 seconds left" : l <= WARN ? "2 minutes left" :
        (state.extended_seconds ? "Extended by " + spoken(state.extended_seconds) : "");
    }
    var phase = l !== null ? currentPhase(l) : null;
    var after = phase ? (state.phases || []).filter(function (p) {
      return p.starts_at_left < phase.starts_at_left && p.starts_at_left > 0;
    })[0] : null;
    var part = after && l > after.starts_at_left ? l - after.starts_at_left : null;
    $("phase").textContent = phase ? phase.title + (part ? " (" + spoken(part) + " of this part left)" : "") :
      state.phase_title;
    $("rule").textContent = phase ? phase.rule : state.reminder.rule;
    $("prompt").textContent = phase ? phase.prompt : state.reminder.prompt;
    announce(b, l);
  }

  // ---- the state ----------------------------------------------------------------------------

  function render(s) {
    state = s;
    received = performance.now();
    shownSecond = undefined;
    tag = s.tag || "";
    problem("");
    $("set-title").textContent = s.set.title;
    $("session-line").textContent = s.session ? "Session " + s.session + " of " + s.set.sessions +
      ": " + s.stage_title : "The session has not started yet.";
    $("live").hidden = false;
    $("presenter").textContent = s.presenter || s.stage_title;
    $("next").textContent = s.next || "nobody";
    var updates = $("updates");
    updates.hidden = !s.updates.length;
    updates.textContent = s.updates.length ? "Short updates at the opening: " + s.updates.join(", ") : "";
    var list = $("order");
    list.textContent = "";
    s.order.forEach(function (row) {
      var li = document.createElement("li");
      li.className = "row-" + row.status;
      var name = document.createElement("span");
      name.className = "team";
      name.textContent = row.name;
      var status = document.createElement("span");
      status.className = "state";
      status.textContent = row.label + (row.expected_seconds ? ", about " +
        Math.round(row.expected_seconds / 60) + " min" : "");
      li.appendChild(name);
      li.appendChild(document.createTextNode(": "));
      li.appendChild(status);
      if (row.status === "presenting") { li.setAttribute("aria-current", "true"); }
      list.appendChild(li);
    });
    $("order-box").hidden = !s.order.length;
    renderControls(s);
    tick();
  }

  function renderControls(s) {
    var box = $("controls");
    var show = s.role === "facilitator" && frame !== "meetingStage";
    box.hidden = !show;
    if (!show) { return; }
    var available = s.controls || [];
    box.querySelectorAll("button[data-control]").forEach(function (b) {
      var on = available.indexOf(b.getAttribute("data-control")) >= 0;
      b.hidden = !on;
      b.disabled = !on;
    });
    box.querySelectorAll(".row").forEach(function (row) {
      row.hidden = !row.querySelector("button:not([hidden])");
    });
    var select = $("team"), chosen = select.value;
    select.textContent = "";
    s.teams.forEach(function (t) {
      var o = document.createElement("option");
      o.value = t.id;
      o.textContent = t.name;
      select.appendChild(o);
    });
    if (chosen) { select.value = chosen; }
    if (!s.teams.length) { select.parentNode.hidden = true; }
  }

  function control(name) {
    var body = { chat: chatId, control: name, tag: tag };
    if (name === "extend") { body.minutes = parseInt($("minutes").value, 10); }
    if (name === "skip") { body.team = $("team").value; }
    var status = $("control-status");
    var buttons = $("controls").querySelectorAll("button[data-control]");
    status.textContent = "";
    // One press at a time: a double click must not cue two presenters.
    buttons.forEach(function (b) { b.disabled = true; });
    return call("POST", "control", body).then(function (r) {
      if (r.data && r.data.state) { render(r.data.state); } else { renderControls(state); }
      status.textContent = r.status === 200 ? "" : (r.data && r.data.message) || "That did not work.";
    }, function () {
      renderControls(state);
      status.textContent = "The bot could not be reached: please try again.";
    });
  }

  function follow() {
    call("GET", "state?chat=" + encodeURIComponent(chatId) + "&since=" + encodeURIComponent(tag))
      .then(function (r) {
        if (r.status === 200) {
          if (r.data.tag !== tag || !state) { render(r.data); }
          setTimeout(follow, 0);
        } else {
          problem((r.data && r.data.message) || HOW_TO_OPEN);
          $("live").hidden = true;
          $("controls").hidden = true;
          if (r.status >= 500) { setTimeout(follow, 5000); }
        }
      }, function () { setTimeout(follow, 2000); });
  }

  function start(context) {
    frame = (context.page && context.page.frameContext) || "";
    document.body.classList.toggle("stage", frame === "meetingStage");
    chatId = (context.chat && context.chat.id) || "";
    setTheme(context.app && context.app.theme);
    teams.app.registerOnThemeChangeHandler(setTheme);
    if (frame === "sidePanel" && teams.meeting && teams.meeting.shareAppContentToStage) {
      var share = $("share");
      share.hidden = false;
      share.addEventListener("click", function () {
        teams.meeting.shareAppContentToStage(function (error) {
          $("control-status").textContent = error ? "It could not be shared to the stage." : "";
        }, window.location.href);
      });
    }
    follow();
  }

  document.querySelectorAll("button[data-control]").forEach(function (b) {
    b.addEventListener("click", function () { control(b.getAttribute("data-control")); });
  });
  setInterval(tick, 250);

  // Outside Teams the SDK finds no host (or, in someone else's frame, no answer): ask anyway,
  // without a token, so that the server's answer (401) says what to do.
  var noHost = new Promise(function (resolve, reject) {
    setTimeout(function () { reject(new Error("no Teams host")); }, 5000);
  });
  Promise.race([teams.app.initialize(), noHost]).then(function () {
    inTeams = true;
    teams.app.notifySuccess();
    return teams.app.getContext().then(start);
  }).catch(function () {
    if (!inTeams) { follow(); }
  });
})();
