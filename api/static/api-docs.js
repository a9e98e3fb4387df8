// Starts Swagger UI on /docs over this service's own OpenAPI document. Kept out of the page
// so the page needs no inline script (the content security policy allows none).
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null, // never ask a remote validator: the docs work offline
  });
});
