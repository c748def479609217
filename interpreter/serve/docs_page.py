"""Interactive API docs: RapiDoc from the `openapi-ui-bundles` package, served by this service
itself (no CDN: a letting system's network may reach nothing else). RapiDoc reads OpenAPI 3.1
and has "try it"; the Swagger UI on PyPI as static files (`swagger-ui-bundle`, 4.x) reads only
3.0. The page loads only files from /docs/assets and the document from /openapi.json, and its
Content-Security-Policy says so (RapiDoc's web font is not fetched; the browser's font is used)."""

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
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>almen — beslutningstjeneste</title>
<script defer src="/docs/assets/rapidoc-min.js"></script>
</head>
<body>
<rapi-doc spec-url="/openapi.json" render-style="read" schema-style="tree" show-header="false"
  allow-server-selection="false" allow-spec-url-load="false" allow-spec-file-download="true"
  allow-authentication="true" persist-auth="false" heading-text="almen" theme="light"></rapi-doc>
</body>
</html>
"""

FALLBACK = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>almen — beslutningstjeneste</title></head>
<body><h1>almen — beslutningstjeneste</h1>
<p>Den interaktive dokumentation kræver pakken <code>openapi-ui-bundles</code>
(<code>pip install 'almen[serve]'</code>). OpenAPI-dokumentet ligger på
<a href="/openapi.json">/openapi.json</a>.</p></body></html>
"""


def assets() -> Path | None:
    try:
        from openapi_ui_bundles import rapidoc
    except ImportError:
        return None
    return Path(rapidoc.static_path)


def static_files() -> StaticFiles | None:
    folder = assets()
    return StaticFiles(directory=folder) if folder is not None else None


async def page(request: Request) -> Response:
    html = PAGE if assets() is not None else FALLBACK
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP})
