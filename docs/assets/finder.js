// Record finder: filters the list of chips, rules and vendors written by `kb build` into
// assets/records.js. Needs no web worker or server, so it also works when site/ is opened from
// disk, where the theme's search cannot run. Text is inserted with textContent, never as HTML.
(function () {
  var input = document.getElementById("kb-find");
  var list = document.getElementById("kb-find-results");
  if (!input || !list || !window.KB_RECORDS) return;
  var root = input.getAttribute("data-root") || "";
  function show(query) {
    list.replaceChildren();
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return;
    var hits = window.KB_RECORDS.filter(function (r) {
      var text = (r.title + " " + r.id + " " + r.kind).toLowerCase();
      return words.every(function (w) { return text.indexOf(w) !== -1; });
    }).slice(0, 20);
    hits.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + r.url;
      a.textContent = r.title;
      var kind = document.createElement("span");
      kind.className = "kb-find-kind";
      kind.textContent = " · " + r.kind;
      li.appendChild(a);
      li.appendChild(kind);
      list.appendChild(li);
    });
    if (!hits.length) {
      var none = document.createElement("li");
      none.textContent = "No record matches.";
      list.appendChild(none);
    }
  }
  input.addEventListener("input", function () { show(input.value); });
  show(input.value);
})();
