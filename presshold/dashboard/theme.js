// Applied before first paint so the page never flashes the wrong theme.
(function () {
  try {
    const t = localStorage.getItem("presshold.theme");
    if (t) document.documentElement.dataset.theme = t;
    if (localStorage.getItem("presshold.contrast") === "high") document.documentElement.dataset.contrast = "high";
  } catch (e) { /* storage unavailable: follow the system */ }
})();
