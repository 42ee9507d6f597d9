// "Can I ship it?": the licence answer for a destination and a day, looked up in the tables the
// build wrote (window.KB_SHIP for every page, the chip's own in #kb-ship-data). No server: the
// engine answered every day and class of countries at build time; this only finds the row.
(function () {
  "use strict";

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
              policy: null, reasons: ["no recorded chip control in force"], decide: [],
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

  function show(root) {
    var form = root.querySelector("form");
    var cc = form.elements.to.value;
    var day = form.elements.on.value;
    var out = root.querySelector(".kb-ship-answer");
    out.textContent = "";
    if (!cc || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      out.appendChild(text("p", "Pick a destination and a date."));
      return;
    }
    var a = answer(cc, day);
    var name = shared.countries[order[cc]][1];
    var headline;
    if (a.value === true) {
      headline = "A US licence is required to ship it to " + name + " on " + day + ".";
    } else if (a.value === false) {
      headline = "No US licence is required by the recorded rules to ship it to " + name +
        " on " + day + ".";
    } else {
      headline = "Undetermined: whether a US licence is required to ship it to " + name +
        " on " + day + " depends on a figure the records do not settle.";
    }
    out.appendChild(text("p", headline, "kb-ship-headline kb-ship-" +
      (a.value === true ? "yes" : a.value === false ? "no" : "open")));
    if (a.notReleased) {
      out.appendChild(text("p", "The chip was not yet released on that day (released " +
        chip.released_as + ")."));
    }
    if (a.controls.length) {
      var under = a.controls.map(function (c) {
        return c.control + " of the " + c.title;
      }).join(a.jointly ? " or " : "; ");
      out.appendChild(text("p", (a.jointly ?
        "Under one of " + under + ", whichever value its figures allow." :
        (a.value === true ? "Under " : "Open under ") + under + ".")));
    }
    if (a.policy) {
      out.appendChild(text("p", "Licence review policy: " + a.policy.replace(/\.\)$/, ")") + "."));
    }
    a.decide.forEach(function (d) {
      out.appendChild(text("p", "A licence would be required if " + d + "."));
    });
    if (a.value === false && !a.reasons.length) {
      out.appendChild(text("p", "No recorded chip control reaches " + name + " for this chip on that day."));
    }
    if (a.reasons.length) {
      var list = document.createElement("ul");
      a.reasons.forEach(function (r) {
        list.appendChild(text("li", r));
      });
      out.appendChild(text("p", "Why:"));
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
    rest.label = "Every country";
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
