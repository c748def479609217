"""Interactive API docs: Swagger UI from the `swagger-ui-bundle` package, served by this service
itself (no CDN: a letting system's network may reach nothing else). The page loads only files
from /docs/assets and the document from /openapi.json; the content security policy says so."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'"

PAGE = """<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<title>almen — beslutningstjeneste</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
"""

START = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: true
});
"""

FALLBACK = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>almen — beslutningstjeneste</title></head>
<body><h1>almen — beslutningstjeneste</h1>
<p>Den interaktive dokumentation kræver pakken <code>swagger-ui-bundle</code>
(<code>pip install 'almen[serve]'</code>). OpenAPI-dokumentet ligger på
<a href="/openapi.json">/openapi.json</a>.</p></body></html>
"""


def assets() -> Path | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


def static_files() -> StaticFiles | None:
    folder = assets()
    return StaticFiles(directory=folder) if folder is not None else None


async def page(request: Request) -> Response:
    html = PAGE if assets() is not None else FALLBACK
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP})


async def start(request: Request) -> Response:
    return Response(START, media_type="text/javascript", headers={"Content-Security-Policy": CSP})
