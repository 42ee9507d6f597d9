// Record finder, on every page: looks chips, rules, vendors, claims and glossary terms up in the
// list `kb build` writes into assets/records.js (kb/site/finder.py). A plain script, with no web
// worker, fetch or server, so it works when site/ is opened from disk as well as over HTTP.
// The home page has its own box (#kb-find); elsewhere a compact one is put above the page text.
// Text is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var kbT = window.kbT || function (m) { return m; };
  var records = window.KB_RECORDS;
  var script = document.currentScript;
  if (!records || !script) return;
  // Links in records.js are relative to the site's root, which is where this script's folder is.
  var root = new URL("..", script.src);
  var KIND_ORDER = { term: 0, chip: 1, rule: 2, vendor: 3, claim: 4 };
  var LIMIT = 12;

  function words(text) {
    return text.toLowerCase().split(/[^0-9a-z\u00c0-\uffff]+/).filter(Boolean);
  }
  function squash(text) {
    return words(text).join("");
  }
  // Whether `needle` (a list of words) occurs in `hay` (a list of words) as a run of whole words.
  function run(hay, needle) {
    for (var i = 0; i + needle.length <= hay.length; i++) {
      var j = 0;
      while (j < needle.length && hay[i + j] === needle[j]) j++;
      if (j === needle.length) return true;
    }
    return false;
  }

  var prepared = records.map(function (r) {
    var names = [r.title].concat(r.aliases || []);
    var all = [];
    names.concat([r.id]).forEach(function (n) { all = all.concat(words(n)); });
    return {
      r: r,
      exact: names.map(squash),
      names: names.map(words),
      all: all,
    };
  });

  // Higher is better; 0 leaves the record out. Whole words rank above prefixes, so "L4" gives
  // the L4 first and the L40 and L40S after it, and an exact name or alias ("H20", "TPP",
  // "3A090.b") comes before any page that merely contains the words.
  function score(p, q, qs) {
    if (p.exact.indexOf(qs) !== -1) return 100;
    if (p.names.some(function (n) { return run(n, q); })) return 60;
    if (q.every(function (w) { return p.all.indexOf(w) !== -1; })) return 40;
    var prefixes = q.every(function (w) {
      return p.all.some(function (a) { return a.lastIndexOf(w, 0) === 0; });
    });
    return prefixes ? 10 : 0;
  }

  function find(query) {
    var q = words(query);
    if (!q.length) return [];
    var qs = q.join("");
    return prepared
      .map(function (p) { return { p: p, s: score(p, q, qs) }; })
      .filter(function (x) { return x.s > 0; })
      .sort(function (a, b) {
        return b.s - a.s
          || KIND_ORDER[a.p.r.kind] - KIND_ORDER[b.p.r.kind]
          || a.p.r.title.length - b.p.r.title.length
          || (a.p.r.title < b.p.r.title ? -1 : a.p.r.title > b.p.r.title ? 1 : 0);
      })
      .slice(0, LIMIT)
      .map(function (x) { return x.p.r; });
  }

  var KIND_LABEL = { term: kbT("glossary"), chip: kbT("chip"), rule: kbT("rule"),
                     vendor: kbT("vendor"), claim: kbT("claim") };

  function attach(input, list) {
    function show() {
      list.replaceChildren();
      if (!input.value.trim()) {
        list.hidden = true;
        return;
      }
      var hits = find(input.value);
      hits.forEach(function (r) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = new URL(r.url, root).href;
        a.textContent = r.title;
        var kind = document.createElement("span");
        kind.className = "kb-find-kind";
        kind.textContent = " · " + KIND_LABEL[r.kind];
        li.appendChild(a);
        li.appendChild(kind);
        list.appendChild(li);
      });
      if (!hits.length) {
        var none = document.createElement("li");
        none.textContent = kbT("Nothing matches. The search in the header looks through every page.");
        list.appendChild(none);
      }
      list.hidden = false;
    }
    input.addEventListener("input", show);
    input.addEventListener("keydown", function (e) {
      var first = list.querySelector("a");
      if (e.key === "Enter" && first) {
        e.preventDefault();
        first.click();
      } else if (e.key === "Escape") {
        input.value = "";
        show();
      }
    });
    show();
  }

  var input = document.getElementById("kb-find");
  var list = document.getElementById("kb-find-results");
  if (!input || !list) {
    var content = document.querySelector(".md-content__inner");
    if (!content) return;
    var box = document.createElement("div");
    box.className = "kb-finder kb-finder--compact";
    box.setAttribute("role", "search");
    var label = document.createElement("label");
    label.htmlFor = "kb-find";
    label.textContent = kbT("Find a chip, rule, vendor or term");
    input = document.createElement("input");
    input.id = "kb-find";
    input.type = "search";
    input.autocomplete = "off";
    input.placeholder = kbT("e.g. H20, 910B, TPP");
    list = document.createElement("ul");
    list.id = "kb-find-results";
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(list);
    content.insertBefore(box, content.firstChild);
  }
  input.setAttribute("aria-controls", "kb-find-results");
  attach(input, list);
  window.kbFind = find;  // for the browser tests and the curious: kbFind("L4")
})();
