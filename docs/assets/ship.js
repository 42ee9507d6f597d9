// "Can I ship it?": the licence answer for a destination and a day, looked up in the tables the
// build wrote (window.KB_SHIP for every page, the chip's own in #kb-ship-data). No server: the
// engine answered every day and class of countries at build time; this only finds the row.
(function () {
  "use strict";
  var kbT = window.kbT || function (m) { return m; };

  var shared = window.KB_SHIP;
  var dataNode = document.getElementById("kb-ship-data");
  if (!shared || !dataNode) {
    return;
  }
  var chip = JSON.parse(dataNode.textContent);
  var order = {};
  shared.countries.forEach(function (pair, i) {
    order[pair[0]] = i;
  });
  var alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

  // The answer `kb classify CHIP --to CC --on DATE` gives, as the engine worded it.
  function answer(cc, day) {
    if (!(cc in order)) {
      return null;
    }
    var i = -1;
    for (var k = 0; k < shared.days.length; k++) {
      if (shared.days[k] <= day) {
        i = k;
      }
    }
    if (i < 0) {
      return {status: "not controlled", value: false, jointly: false, controls: [],
              policy: null, reasons: [kbT("no recorded chip control in force")], decide: [],
              before: true};
    }
    var cls = alphabet.indexOf(shared.classes[i].charAt(order[cc]));
    var found = chip.answers[chip.table[i][cls]];
    var out = Object.assign({}, found);
    out.notReleased = Boolean(chip.released && day < chip.released);
    return out;
  }
  window.kbShipAnswer = answer;

  function text(tag, content, cls) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (cls) {
      node.className = cls;
    }
    return node;
  }

  // A date from the form or the records (2025-04-09, 2025-04 or 2025) as the page's language
  // writes it: as given in English, 2025年4月9日 in Japanese.
  function said(day) {
    var parts = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(String(day));
    if (!parts || !/^ja\b/.test(document.documentElement.lang || "")) {
      return String(day);
    }
    return Number(parts[1]) + "年" + (parts[2] ? Number(parts[2]) + "月" : "") +
      (parts[3] ? Number(parts[3]) + "日" : "");
  }

  // A message with its {placeholders} filled in from ``values``.
  function put(message, values) {
    return message.replace(/\{([a-z]+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  // Items joined two at a time by a message with {a} and {b} ("{a} or {b}").
  function joined(items, message) {
    return items.reduce(function (a, b) {
      return put(message, {a: a, b: b});
    });
  }

  function show(root) {
    var form = root.querySelector("form");
    var cc = form.elements.to.value;
    var day = form.elements.on.value;
    var out = root.querySelector(".kb-ship-answer");
    out.textContent = "";
    if (!cc || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      out.appendChild(text("p", kbT("Pick a destination and a date.")));
      return;
    }
    var a = answer(cc, day);
    var name = shared.countries[order[cc]][1];
    var where = {name: name, day: said(day)};
    var headline;
    if (a.value === true) {
      headline = put(kbT("A US licence is required to ship it to {name} on {day}."), where);
    } else if (a.value === false) {
      headline = put(kbT(
        "No US licence is required by the recorded rules to ship it to {name} on {day}."), where);
    } else {
      headline = put(kbT("Undetermined: whether a US licence is required to ship it to {name} " +
        "on {day} depends on a figure the records do not settle."), where);
    }
    out.appendChild(text("p", headline, "kb-ship-headline kb-ship-" +
      (a.value === true ? "yes" : a.value === false ? "no" : "open")));
    if (a.notReleased) {
      out.appendChild(text("p", put(kbT(
        "The chip was not yet released on that day (released {released})."),
        {released: said(chip.released_as)})));
    }
    if (a.controls.length) {
      var under = joined(a.controls.map(function (c) {
        return put(kbT("{control} of the {rule}"), {control: c.control, rule: c.title});
      }), a.jointly ? kbT("{a} or {b}") : kbT("{a}; {b}"));
      out.appendChild(text("p", put(a.jointly ?
        kbT("Under one of {controls}, whichever value its figures allow.") :
        a.value === true ? kbT("Under {controls}.") : kbT("Open under {controls}."),
        {controls: under})));
    }
    if (a.policy) {
      out.appendChild(text("p", put(kbT("Licence review policy: {policy}."),
        {policy: a.policy.replace(/\.\)$/, ")")})));
    }
    a.decide.forEach(function (d) {
      out.appendChild(text("p", put(kbT("A licence would be required if {condition}."),
        {condition: d})));
    });
    if (a.value === false && !a.reasons.length) {
      out.appendChild(text("p", put(kbT(
        "No recorded chip control reaches {name} for this chip on that day."), where)));
    }
    if (a.reasons.length) {
      var list = document.createElement("ul");
      a.reasons.forEach(function (r) {
        list.appendChild(text("li", r));
      });
      out.appendChild(text("p", kbT("Why:")));
      out.appendChild(list);
    }
  }

  function fill(select) {
    var seen = {};
    shared.groups.forEach(function (g) {
      var group = document.createElement("optgroup");
      group.label = g.label;
      g.members.forEach(function (cc) {
        if (!(cc in order)) {
          return;
        }
        var option = document.createElement("option");
        option.value = cc;
        option.textContent = shared.countries[order[cc]][1];
        group.appendChild(option);
        seen[cc] = true;
      });
      select.appendChild(group);
    });
    var rest = document.createElement("optgroup");
    rest.label = kbT("Every country");
    shared.countries.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      rest.appendChild(option);
    });
    select.appendChild(rest);
  }

  document.querySelectorAll(".kb-ship").forEach(function (root) {
    var form = root.querySelector("form");
    fill(form.elements.to);
    var params = new URLSearchParams(window.location.hash.slice(1));
    form.elements.to.value = params.get("to") || "CN";
    if (params.get("on")) {
      form.elements.on.value = params.get("on");
    }
    form.addEventListener("input", function () {
      show(root);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show(root);
    });
    root.hidden = false;
    show(root);
  });
}());
