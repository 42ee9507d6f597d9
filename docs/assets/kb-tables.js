// Sortable, filterable record tables. The page holds a plain HTML table (readable without
// JavaScript, indexed by the site search); this adds to each table[data-kb-table]:
//   - sorting by any heading (the vendored Tablesort moves the rows in place); a cell's
//     data-sort is the value sorted by, and rows whose data-sort is "" (no figure) stay last
//     whichever the direction, so "—" never reads as zero;
//   - a text filter and one drop-down per heading with data-filter (the cell's data-value,
//     else its text, is what the drop-down matches);
//   - the state in the address's fragment (#vendor=...&sort=tpp&dir=desc), so a filtered view
//     can be linked and survives a reload; a fragment works from file:// too.
// Record text is only ever read with textContent and written with textContent or .value.
(function () {
  if (!window.Tablesort) return;
  var kbT = window.kbT || function (m) { return m; };

  // Numbers sort as numbers ("4,992" and "4992" alike); data-sort carries the plain figure.
  function number(v) { return parseFloat(String(v).replace(/[^0-9.eE+-]/g, "")); }
  function compareNumbers(a, b) {
    var x = number(a), y = number(b);
    x = isNaN(x) ? -Infinity : x;
    y = isNaN(y) ? -Infinity : y;
    return y - x; // Tablesort's convention: descending order, reversed for ascending
  }
  function compareText(a, b) {
    a = a.trim().toLowerCase();
    b = b.trim().toLowerCase();
    return a === b ? 0 : a < b ? 1 : -1; // ISO dates sort as text in date order
  }
  window.Tablesort.extend("kb-number", function () { return false; }, compareNumbers);
  window.Tablesort.extend("kb-text", function () { return false; }, compareText);

  function cellValue(cell, attr) {
    if (!cell) return "";
    return cell.hasAttribute(attr) ? cell.getAttribute(attr) : cell.textContent.trim();
  }

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var state = {};
    params.forEach(function (value, key) { state[key] = value; });
    return state;
  }

  function writeHash(state) {
    var params = new URLSearchParams();
    Object.keys(state).forEach(function (key) {
      if (state[key]) params.set(key, state[key]);
    });
    var text = params.toString();
    var url = location.pathname + location.search + (text ? "#" + text : "");
    // replaceState: typing in the filter should not fill the history with every keystroke.
    try {
      history.replaceState(history.state, "", url);
    } catch (e) {
      location.replace(text ? "#" + text : "#");
    }
  }

  function label(text, control) {
    var wrap = document.createElement("label");
    var span = document.createElement("span");
    span.textContent = text;
    wrap.appendChild(span);
    wrap.appendChild(control);
    return wrap;
  }

  function enhance(table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var noun = table.getAttribute("data-kb-noun") || kbT("rows");
    var sorter = new window.Tablesort(table);
    heads.forEach(function (th) {
      var column = th.textContent.trim();
      th.setAttribute("title", kbT("Sort by {column}").replace("{column}",
        function () { return column; }));
    });

    // Each sort starts from the page's own order, so rows that tie come out the same way
    // whatever was sorted before: the address alone decides what a reader sees.
    table.addEventListener("beforeSort", function () {
      rows.forEach(function (row) { body.appendChild(row); });
    });
    // Rows with no figure in the sorted column go to the end, in their sorted (stable) order.
    table.addEventListener("afterSort", function () {
      var col = sorter.current ? sorter.current.cellIndex : -1;
      if (col < 0) return;
      Array.prototype.slice.call(body.rows).forEach(function (row) {
        var cell = row.cells[col];
        if (cell && cell.getAttribute("data-sort") === "") body.appendChild(row);
      });
      if (!restoring) save();
    });

    var tools = document.createElement("div");
    tools.className = "kb-table-tools";
    var search = document.createElement("input");
    search.type = "search";
    search.setAttribute("data-key", "q");
    search.placeholder = kbT("Words in any column");
    tools.appendChild(label(kbT("Filter"), search));
    var selects = [];
    heads.forEach(function (th, index) {
      var name = th.getAttribute("data-filter");
      if (!name) return;
      var select = document.createElement("select");
      select.setAttribute("data-key", th.getAttribute("data-key"));
      select.setAttribute("data-col", String(index));
      var all = document.createElement("option");
      all.value = "";
      all.textContent = kbT("All");
      select.appendChild(all);
      var seen = {};
      rows.forEach(function (row) { seen[cellValue(row.cells[index], "data-value")] = true; });
      Object.keys(seen).sort(function (a, b) {
        return a.localeCompare(b, undefined, {numeric: true});
      }).forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        select.appendChild(option);
      });
      tools.appendChild(label(name, select));
      selects.push(select);
    });
    var count = document.createElement("p");
    count.className = "kb-table-count";
    count.setAttribute("role", "status");
    var clear = document.createElement("button");
    clear.type = "button";
    clear.textContent = kbT("Show all");
    tools.appendChild(clear);
    table.parentNode.insertBefore(tools, table);
    table.parentNode.insertBefore(count, table);

    var restoring = false;

    function filter() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var wanted = selects.map(function (s) {
        return {col: Number(s.getAttribute("data-col")), value: s.value};
      }).filter(function (w) { return w.value !== ""; });
      var shown = 0;
      rows.forEach(function (row) {
        var text = (row.textContent + " " + (row.getAttribute("data-search") || "")).toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) !== -1; }) &&
          wanted.every(function (w) { return cellValue(row.cells[w.col], "data-value") === w.value; });
        row.hidden = !ok;
        if (ok) shown++;
      });
      var counted = {shown: shown, total: rows.length, noun: noun};
      count.textContent = (shown === rows.length ? kbT("{total} {noun}")
        : kbT("{shown} of {total} {noun} shown")).replace(/\{(shown|total|noun)\}/g,
          function (whole, key) { return counted[key]; });
      clear.hidden = !words.length && !wanted.length;
    }

    function save() {
      var state = {q: search.value.trim()};
      selects.forEach(function (s) { state[s.getAttribute("data-key")] = s.value; });
      var th = sorter.current;
      if (th && th.getAttribute("aria-sort")) {
        state.sort = th.getAttribute("data-key");
        state.dir = th.getAttribute("aria-sort") === "descending" ? "desc" : "asc";
      }
      writeHash(state);
    }

    function restore() {
      var state = readHash();
      restoring = true;
      if ((state.q || "") !== search.value) search.value = state.q || "";
      selects.forEach(function (s) {
        var value = state[s.getAttribute("data-key")] || "";
        // A value the table no longer holds (an old link) shows everything rather than nothing.
        s.value = Array.prototype.some.call(s.options, function (o) { return o.value === value; })
          ? value : "";
      });
      var th = heads.filter(function (h) {
        return state.sort && h.getAttribute("data-key") === state.sort;
      })[0];
      if (th) {
        var dir = state.dir === "desc" ? "descending" : "ascending";
        if (th !== sorter.current || th.getAttribute("aria-sort") !== dir) {
          if (sorter.current && sorter.current !== th) sorter.current.removeAttribute("aria-sort");
          sorter.current = th;
          // Tablesort flips the direction it finds: set the other one so it lands on ``dir``.
          th.setAttribute("aria-sort", dir === "descending" ? "ascending" : "descending");
          sorter.sortTable(th);
        }
      }
      restoring = false;
      filter();
    }

    search.addEventListener("input", function () { filter(); save(); });
    selects.forEach(function (s) {
      s.addEventListener("change", function () { filter(); save(); });
    });
    clear.addEventListener("click", function () {
      search.value = "";
      selects.forEach(function (s) { s.value = ""; });
      filter();
      save();
    });
    window.addEventListener("hashchange", restore);
    restore();
  }

  document.querySelectorAll("table[data-kb-table]").forEach(enhance);
})();
