// Tanlian's plotly.js: the core (with scatter) and only the trace types our figures use.
var Plotly = require("plotly.js/lib/core");
Plotly.register([
  require("plotly.js/lib/bar"),
  require("plotly.js/lib/box"),
  require("plotly.js/lib/sankey"),
  require("plotly.js/lib/treemap"),
  require("plotly.js/lib/waterfall"),
]);
window.Plotly = Plotly;
