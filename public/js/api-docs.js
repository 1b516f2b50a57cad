// The interactive API reference at /api/docs: Swagger UI over this host's OpenAPI document.
(() => {
  const root = document.getElementById('api-docs');
  if (!root || typeof window.SwaggerUIBundle !== 'function') return;
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    withCredentials: false,
  });
})();
