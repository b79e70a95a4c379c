// Registrum's pages work without this file; it only adds tabs, copy buttons and search as
// you type. Loaded with `defer` from the same origin (the Content-Security-Policy allows no
// inline script).
(function () {
  "use strict";

  var live = document.getElementById("live");

  function say(text) {
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // Tabs: the WAI-ARIA pattern (arrow keys, Home/End, roving tabindex, automatic activation).
  function setupTabs(list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
    if (!tabs.length) return;
    var panels = tabs.map(function (tab) {
      return document.getElementById(tab.getAttribute("aria-controls"));
    });
    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var on = i === index;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        if (panels[i]) panels[i].hidden = !on;
      });
      if (focus) tabs[index].focus();
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(i, false); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = (i + 1) % tabs.length;
        else if (event.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = tabs.length - 1;
        if (next !== null) {
          event.preventDefault();
          select(next, true);
        }
      });
    });
    var start = tabs.findIndex(function (t) { return t.getAttribute("aria-selected") === "true"; });
    list.hidden = false;
    list.parentElement.classList.add("js-tabs");
    select(start < 0 ? 0 : start, false);
  }

  // Copy buttons: shown only where the clipboard can be written.
  function setupCopy(button) {
    if (!navigator.clipboard || !window.isSecureContext) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
        say("Copied to the clipboard");
        window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
      }, function () {
        say("Could not copy: select the text and copy it");
      });
    });
  }

  // Search as you type, on the home page: fetch the same page for the new query and swap
  // the results and the filters.
  function setupLiveSearch() {
    var form = document.getElementById("search-form");
    var input = document.getElementById("q");
    if (!form || !input || !document.getElementById("results") || location.pathname !== "/") {
      return;
    }
    var timer = null;
    var current = null;
    function urlFor() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (value) params.append(key, String(value));
      });
      var query = params.toString();
      return "/" + (query ? "?" + query : "");
    }
    function run() {
      var url = urlFor();
      if (current) current.abort();
      current = new AbortController();
      fetch(url, { signal: current.signal, headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          if (text === null) return;
          var doc = new DOMParser().parseFromString(text, "text/html");
          var fresh = doc.querySelector(".layout");
          var old = document.querySelector(".layout");
          var heading = doc.querySelector("main h1");
          if (fresh && old) old.replaceWith(fresh);
          var hero = document.querySelector(".hero");
          if (hero && heading) {
            var h1 = document.createElement("h1");
            h1.textContent = heading.textContent;
            hero.replaceWith(h1);
          } else if (heading) {
            var mine = document.querySelector("main h1");
            if (mine) mine.textContent = heading.textContent;
          }
          document.title = doc.title;
          history.replaceState(null, "", url);
        })
        .catch(function () { /* aborted, or offline: the form still submits */ });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 250);
    });
  }

  document.querySelectorAll('[role="tablist"]').forEach(setupTabs);
  document.querySelectorAll("button.copy[data-copy]").forEach(setupCopy);
  setupLiveSearch();
})();
