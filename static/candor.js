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
  // Answer players: speed buttons, and keys n / p (next / previous answer), k (play / pause), < > (speed).
  var RATES = [1, 1.25, 1.5, 2];
  function players() {
    var answers = Array.prototype.slice.call(document.querySelectorAll("[data-answer]"));
    if (!answers.length) return;
    var current = 0;
    function media(i) { return answers[i] && answers[i].querySelector("video, audio"); }
    function setRate(figure, rate) {
      var m = figure.querySelector("video, audio");
      if (m) m.playbackRate = rate;
      Array.prototype.forEach.call(figure.querySelectorAll("[data-rate]"), function (b) {
        b.setAttribute("aria-pressed", Number(b.dataset.rate) === rate ? "true" : "false");
      });
    }
    answers.forEach(function (answer, i) {
      var figure = answer.querySelector("[data-player]");
      if (!figure) return;
      Array.prototype.forEach.call(figure.querySelectorAll("[data-rate]"), function (b) {
        b.addEventListener("click", function () { setRate(figure, Number(b.dataset.rate)); });
      });
      var m = media(i);
      if (m) m.addEventListener("play", function () {
        current = i;
        answers.forEach(function (_, j) { var o = media(j); if (j !== i && o && !o.paused) o.pause(); });
      });
      answer.addEventListener("focusin", function () { current = i; });
    });
    function go(step) {
      var m = media(current);
      if (m && !m.paused) m.pause();
      var i = current;
      do { i += step; } while (i >= 0 && i < answers.length && !media(i));
      if (i < 0 || i >= answers.length) return;
      current = i;
      answers[i].focus();
      answers[i].scrollIntoView({ block: "start" });
    }
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      var m = media(current), figure = answers[current] && answers[current].querySelector("[data-player]");
      if (e.key === "n") { go(1); e.preventDefault(); }
      else if (e.key === "p") { go(-1); e.preventDefault(); }
      else if (e.key === "k" && m) { if (m.paused) m.play(); else m.pause(); e.preventDefault(); }
      else if ((e.key === ">" || e.key === "<") && m && figure) {
        var at = RATES.indexOf(m.playbackRate);
        var next = RATES[Math.max(0, Math.min(RATES.length - 1, (at < 0 ? 0 : at) + (e.key === ">" ? 1 : -1)))];
        setRate(figure, next);
        e.preventDefault();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    players();
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
