// The header search, for a site opened from disk (file://). The theme's search runs in a web
// worker, and browsers refuse to start a worker from a file:// page; the theme then hides the
// search box. The theme supports an iframe stand-in for the worker (it looks for `IFrameWorker`
// and for search/search_index.js, which kb build writes), but expects it to be downloaded from a
// CDN, and the site must work offline. This is that stand-in, self-contained: the worker's script
// runs in a hidden same-origin frame, with postMessage and importScripts bridged to this page.
// Loaded with the page's scripts, before the theme starts its components (on DOMContentLoaded).
(function () {
  "use strict";
  var kbT = window.kbT || function (m) { return m; };
  if (location.protocol !== "file:" || typeof window.Worker === "undefined") return;

  function FrameWorker(url) {
    var target = document.createDocumentFragment();  // any EventTarget will do
    var frame = document.createElement("iframe");
    var queue = [];
    var ready = false;
    frame.hidden = true;
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    frame.title = kbT("search");
    document.body.appendChild(frame);
    var inner = frame.contentWindow;

    // Messages the worker posts come out here, as a worker's would.
    inner.postMessage = function (data) {
      target.dispatchEvent(new MessageEvent("message", { data: data }));
    };
    inner.importScripts = function () {
      var urls = Array.prototype.slice.call(arguments);
      return urls.reduce(function (done, src) {
        return done.then(function () { return load(new URL(src, script.src).href); });
      }, Promise.resolve());
    };
    function load(src) {
      return new Promise(function (resolve, reject) {
        var el = inner.document.createElement("script");
        el.src = src;
        el.onload = function () { resolve(); };
        el.onerror = function () { reject(new Error("could not load " + src)); };
        inner.document.head.appendChild(el);
      });
    }
    var script = { src: new URL(url, location.href).href };
    function deliver(data) {
      inner.dispatchEvent(new inner.MessageEvent("message", { data: data }));
    }
    load(script.src).then(function () {
      ready = true;
      queue.splice(0).forEach(deliver);
    });

    this.addEventListener = target.addEventListener.bind(target);
    this.removeEventListener = target.removeEventListener.bind(target);
    this.dispatchEvent = target.dispatchEvent.bind(target);
    this.postMessage = function (data) {
      if (ready) deliver(data); else queue.push(data);
    };
    this.terminate = function () { frame.remove(); };
  }

  window.IFrameWorker = FrameWorker;
  window.Worker = FrameWorker;
})();
