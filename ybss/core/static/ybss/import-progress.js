// Polls an import job's progress while it runs and reloads the page when it ends.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  function clock(s) {
    if (s === null || s === undefined) return "--:--";
    s = Math.round(s);
    var m = Math.floor(s / 60), r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }
  function tick() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        if (p.status !== "checking" && p.status !== "committing") { window.location.reload(); return; }
        if (p.total) { bar.max = p.total; bar.value = p.done || 0; }
        text.textContent = (p.done || 0).toLocaleString() + " / " + (p.total || 0).toLocaleString() +
          " · " + Math.round(p.rate || 0).toLocaleString() + " " + box.getAttribute("data-rate-unit") +
          " · " + box.getAttribute("data-eta-label") + " " + clock(p.eta);
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  tick();
})();
