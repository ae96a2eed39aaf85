// Starts Swagger UI on the API documentation page (kept out of the page for the CSP).
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  // validatorUrl null: Swagger UI would otherwise send the spec to validator.swagger.io.
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    validatorUrl: null,
  });
});
