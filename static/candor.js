// Candor's small progressive enhancements. Pages work without JavaScript; this adds the name typeahead.
//
// <div class="typeahead" data-suggest="/candidates/suggest">
//   <input data-typeahead-input> … <div data-typeahead-results></div>
// </div>
// Picking a suggestion fills the inputs named by data-fill-id / data-fill-email on the container, fires
// a "candor:picked" event with {id, name, email}, and opens data-navigate + id when the container has it.
(function () {
  "use strict";
  function setup(box) {
    var input = box.querySelector("[data-typeahead-input]");
    var results = box.querySelector("[data-typeahead-results]");
    if (!input || !results) return;
    var timer = null, seq = 0, active = -1;
    function options() { return Array.prototype.slice.call(results.querySelectorAll("li[role=option]")); }
    function highlight(i) {
      var opts = options();
      opts.forEach(function (o, j) { o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
    }
    function pick(li) {
      var detail = { id: li.dataset.id, name: li.dataset.name, email: li.dataset.email };
      input.value = detail.name;
      var idField = box.dataset.fillId && document.querySelector(box.dataset.fillId);
      var emailField = box.dataset.fillEmail && document.querySelector(box.dataset.fillEmail);
      if (idField) idField.value = detail.id;
      if (emailField) emailField.value = detail.email;
      results.innerHTML = "";
      box.dispatchEvent(new CustomEvent("candor:picked", { detail: detail, bubbles: true }));
      if (box.dataset.navigate) window.location.href = box.dataset.navigate + encodeURIComponent(detail.id);
    }
    function load() {
      var q = input.value.trim();
      var mine = ++seq;
      if (!q) { results.innerHTML = ""; return; }
      fetch(box.dataset.suggest + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (mine === seq) { results.innerHTML = html; active = -1; } });
    }
    input.setAttribute("autocomplete", "off");
    input.addEventListener("input", function () {
      var idField = box.dataset.fillId && document.querySelector(box.dataset.fillId);
      if (idField) idField.value = "";
      clearTimeout(timer);
      timer = setTimeout(load, 120);
    });
    input.addEventListener("keydown", function (e) {
      var opts = options();
      if (e.key === "ArrowDown" && opts.length) { e.preventDefault(); highlight(Math.min(active + 1, opts.length - 1)); }
      else if (e.key === "ArrowUp" && opts.length) { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0 && opts[active]) { e.preventDefault(); pick(opts[active]); }
      else if (e.key === "Escape") { results.innerHTML = ""; }
    });
    results.addEventListener("mousedown", function (e) {
      var li = e.target.closest("li[role=option]");
      if (li) { e.preventDefault(); pick(li); }
    });
  }
  // Answer players: speed buttons, one player at a time, and keys n / p (next / previous answer), k (play / pause),
  // < > (speed). Set up again on the part of the page a review swap brings in.
  var RATES = [1, 1.25, 1.5, 2];
  var current = 0;
  function answers() { return Array.prototype.slice.call(document.querySelectorAll("[data-answer]")); }
  function media(i) { var a = answers()[i]; return a && a.querySelector("video, audio"); }
  function setRate(figure, rate) {
    var m = figure.querySelector("video, audio");
    if (m) m.playbackRate = rate;
    Array.prototype.forEach.call(figure.querySelectorAll("[data-rate]"), function (b) {
      b.setAttribute("aria-pressed", Number(b.dataset.rate) === rate ? "true" : "false");
    });
  }
  function players(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-player]"), function (figure) {
      Array.prototype.forEach.call(figure.querySelectorAll("[data-rate]"), function (b) {
        b.addEventListener("click", function () { setRate(figure, Number(b.dataset.rate)); });
      });
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-answer]"), function (answer) {
      answer.addEventListener("focusin", function () { current = answers().indexOf(answer); });
    });
  }
  // Whichever player starts, every other one on the page pauses (the answers page, the comparison view).
  document.addEventListener("play", function (e) {
    var playing = e.target;
    Array.prototype.forEach.call(document.querySelectorAll("video, audio"), function (m) {
      if (m !== playing && !m.paused) m.pause();
    });
    var i = answers().indexOf(playing.closest && playing.closest("[data-answer]"));
    if (i >= 0) current = i;
  }, true);
  function go(step) {
    var list = answers();
    var m = media(current);
    if (m && !m.paused) m.pause();
    var i = current;
    do { i += step; } while (i >= 0 && i < list.length && !media(i));
    if (i < 0 || i >= list.length) return;
    current = i;
    list[i].focus();
    list[i].scrollIntoView({ block: "start" });
  }
  // Puts focus in a radio group: on the chosen option, or the first.
  function focusGroup(group) {
    if (!group) return false;
    var radio = group.querySelector("input[type=radio]:checked") || group.querySelector("input[type=radio]");
    if (!radio) return false;
    radio.focus();
    group.scrollIntoView({ block: "center" });
    return true;
  }
  function ratingGroup() {
    var a = answers()[current];
    return (a && a.querySelector("[data-stars]")) || document.querySelector("#overall [data-stars]");
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    var stars = t && t.closest && t.closest("[data-stars], fieldset.scores");
    if (stars && /^[1-5]$/.test(e.key)) {
      var pick = stars.querySelector("input[value='" + e.key + "']");
      if (pick) { pick.checked = true; pick.focus(); pick.dispatchEvent(new Event("change", { bubbles: true })); }
      e.preventDefault();
      return;
    }
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) && !(t.type === "radio")) return;
    if (t && t.type === "radio" && !/^[NPnpksdr]$/.test(e.key)) return;
    var m = media(current), figure = answers()[current] && answers()[current].querySelector("[data-player]");
    var swap = document.querySelector(e.key === "N" ? "a[data-swap][rel=next]" : e.key === "P" ? "a[data-swap][rel=prev]" : null);
    if ((e.key === "N" || e.key === "P") && swap) { e.preventDefault(); swapTo(swap.href, true); return; }
    if (!answers().length) return;
    if (e.key === "n") { go(1); e.preventDefault(); }
    else if (e.key === "p") { go(-1); e.preventDefault(); }
    else if (e.key === "k" && m) { if (m.paused) m.play(); else m.pause(); e.preventDefault(); }
    else if (e.key === "r") { if (focusGroup(ratingGroup())) e.preventDefault(); }
    else if (e.key === "s") { if (focusGroup(document.querySelector("#scorecard fieldset"))) e.preventDefault(); }
    else if (e.key === "d") { if (focusGroup(document.querySelector("#decision fieldset"))) e.preventDefault(); }
    else if ((e.key === ">" || e.key === "<") && m && figure) {
      var at = RATES.indexOf(m.playbackRate);
      var next = RATES[Math.max(0, Math.min(RATES.length - 1, (at < 0 ? 0 : at) + (e.key === ">" ? 1 : -1)))];
      setRate(figure, next);
      e.preventDefault();
    }
  });

  // Reviewing without reloads. A form marked data-fragment is sent in the background; the page the server answers
  // with (after its redirect, or a 422 with the field's message) gives the new state of that part, which replaces
  // the old one, so a playing answer keeps playing. Forms marked data-autosave are sent as soon as a choice changes.
  // Without JavaScript they are plain forms with a Save button.
  document.documentElement.classList.add("js");
  function announce(text) {
    var live = document.getElementById("saved-status");
    if (live) { live.textContent = ""; setTimeout(function () { live.textContent = text; }, 30); }
  }
  function parse(html) { return new DOMParser().parseFromString(html, "text/html"); }
  var inflight = {};
  function send(form) {
    var state = inflight[form.dataset.fragment];
    if (state) { state.again = true; return; }
    state = { again: false };
    inflight[form.dataset.fragment] = state;
    var key = form.dataset.fragment;
    var body = new URLSearchParams(new FormData(form));
    form.setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", headers: { "x-candor-fetch": "1" } })
      .then(function (r) {
        if (r.redirected && !/\/answers/.test(r.url)) { window.location.href = r.url; return null; }
        return r.text().then(function (html) { return { ok: r.ok, html: html }; });
      })
      .then(function (res) {
        // Changed again while this was on its way: that newer state is sent next, and shown from its answer.
        if (!res || state.again) return;
        var doc = parse(res.html);
        var focused = document.activeElement && document.activeElement.id;
        var fresh = doc.getElementById(key), old = document.getElementById(key);
        if (key === "decision" || key === "scorecard") { fresh = doc.querySelector("#" + key + " form"); old = document.querySelector("#" + key + " form"); }
        if (fresh && old) old.replaceWith(fresh);
        ["decision-now", "overall-now"].forEach(function (id) {
          var a = doc.getElementById(id), b = document.getElementById(id);
          if (a && b) b.replaceWith(a);
        });
        var timeline = doc.querySelector(".timeline"), here = document.querySelector(".timeline");
        if (timeline && here) here.replaceWith(timeline);
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        var flash = doc.querySelector(".flash"), error = doc.querySelector("[data-review-page] .error");
        announce(res.ok ? (flash ? flash.textContent : "Saved.") : (error ? error.textContent : "Not saved."));
      })
      .catch(function () { announce("Not saved: the server could not be reached. Try again."); })
      .then(function () {
        delete inflight[key];
        var now = document.querySelector("form[data-fragment='" + key + "']") || form;
        now.removeAttribute("aria-busy");
        if (state.again) send(now);
      });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-fragment]") || !window.fetch) return;
    e.preventDefault();
    send(form);
  });
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.matches("form[data-autosave][data-fragment]") && window.fetch) send(form);
  });

  // Previous / next candidate without a page load: the next answers page replaces this one, and the address follows.
  function swapTo(url, push) {
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok || !/\/answers/.test(r.url)) { window.location.href = url; return null; }
      return r.text();
    }).then(function (html) {
      if (html === null || html === undefined) return;
      var doc = parse(html);
      var fresh = doc.querySelector("main"), main = document.querySelector("main");
      if (!fresh || !main) { window.location.href = url; return; }
      Array.prototype.forEach.call(document.querySelectorAll("video, audio"), function (m) { m.pause(); });
      main.replaceWith(fresh);
      document.title = doc.title;
      if (push) history.pushState({ swap: true }, "", url);
      current = 0;
      players(fresh);
      var h1 = fresh.querySelector("h1");
      if (h1) h1.focus();
      window.scrollTo(0, 0);
    }).catch(function () { window.location.href = url; });
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-swap]");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0 || !window.fetch) return;
    e.preventDefault();
    swapTo(a.href, true);
  });
  window.addEventListener("popstate", function () {
    if (document.querySelector("[data-review-page]") && /\/answers$/.test(location.pathname)) swapTo(location.href, false);
  });

  document.addEventListener("DOMContentLoaded", function () {
    players(document);
    Array.prototype.forEach.call(document.querySelectorAll(".typeahead[data-suggest]"), setup);
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
      button.addEventListener("click", function () {
        var field = document.querySelector(button.dataset.copy);
        var done = button.parentNode.querySelector("[data-copied]") || document.querySelector("[data-copied]");
        function shown() { if (done) done.hidden = false; }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(shown, function () { field.select(); });
        } else {
          field.select();
          try { if (document.execCommand("copy")) shown(); } catch (e) { /* the link stays selected */ }
        }
      });
    });
  });
  // A filter that applies as soon as it changes; a read-only link selected when focused, ready to copy.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.querySelectorAll("input[data-select-on-focus]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
})();
