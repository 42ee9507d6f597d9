// Keyboard access to what scrolls sideways. The theme wraps every table in a scrolling box
// (and record tables scroll themselves); a box that scrolls but cannot take focus cannot be
// scrolled from the keyboard (WCAG 2.1.1, axe's scrollable-region-focusable). Each one that
// overflows becomes a focusable, named region; one that fits again loses its tab stop, so
// narrow tables add none.
(function () {
  var kbT = window.kbT || function (m) { return m; };
  var SELECTOR = ".md-content .md-typeset__scrollwrap, .md-content table";

  function name(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    // The nearest heading before the box says what the table is.
    var node = box;
    while (node && node !== document.body) {
      var prev = node.previousElementSibling;
      while (prev) {
        if (/^H[1-6]$/.test(prev.tagName)) return prev.textContent.replace(/¶$/, "").trim();
        prev = prev.previousElementSibling;
      }
      node = node.parentElement;
    }
    return kbT("Table");
  }

  function mark() {
    document.querySelectorAll(SELECTOR).forEach(function (box) {
      var style = getComputedStyle(box).overflowX;
      var scrolls = (style === "auto" || style === "scroll") &&
        box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("data-kb-scroll")) {
        box.setAttribute("data-kb-scroll", "");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var named = name(box);
        box.setAttribute("aria-label", kbT("{name} (scrolls sideways)").replace("{name}",
          function () { return named; }));
      } else if (!scrolls && box.hasAttribute("data-kb-scroll")) {
        ["data-kb-scroll", "tabindex", "role", "aria-label"].forEach(function (a) {
          box.removeAttribute(a);
        });
      }
    });
  }

  var pending = 0;
  function later() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(mark);
  }
  // The theme wraps tables when its document$ stream emits (each page load, instant navigation
  // included); this script loads after the theme's, so its subscriber runs after the wrapping.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(later);
  } else {
    document.addEventListener("DOMContentLoaded", later);
  }
  window.addEventListener("resize", later);
})();
