/* Draws every plotly figure on the page from its JSON block. The figures' data never sits in an
   inline script, so the pages keep working under a Content-Security-Policy without
   'unsafe-inline' for scripts. Loaded after the vendored plotly.min.js. */
(function () {
  "use strict";
  function draw() {
    var charts = document.querySelectorAll("[data-figure]");
    Array.prototype.forEach.call(charts, function (div) {
      var block = document.getElementById(div.getAttribute("data-figure"));
      var figure = JSON.parse(block.textContent);
      // Nothing may leave for the network: no logo link, no "send to Chart Studio". No toolbar:
      // on a phone it covered the chart's title, and the figures are read, not edited.
      var config = Object.assign(
        { responsive: true, displaylogo: false, displayModeBar: false, showSendToCloud: false, showEditInChartStudio: false },
        figure.config || {}
      );
      window.Plotly.newPlot(div, figure.data, figure.layout, config).then(function () {
        div.setAttribute("data-drawn", "true");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
