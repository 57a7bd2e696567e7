// The API's interactive page (issue 18): Swagger UI on the caller's own OpenAPI document.
// "Try it out" sends the session cookie; writes carry the page's CSRF token, as the API asks.
(function () {
  var root = document.getElementById("uchet-api-docs");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    requestInterceptor: function (req) {
      if (req.method && req.method.toUpperCase() !== "GET") {
        req.headers["X-CSRFToken"] = root.dataset.csrf;
      }
      return req;
    },
  });
})();
