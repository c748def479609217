"""`almen serve`: the policies as an HTTP decision service (Starlette, run by uvicorn).

Letting systems in C#, Java or PHP cannot import a Python package; they call this service. It
answers exactly as `Policy.decide` does (the body of a decision is `Answer.to_dict`), stamps every
answer with the policy's id, version and sha256, and reloads a policy when its files change.

Modules, one job each: `settings` (what the command line sets), `registry` (the loaded policies
and their reload), `openapi` (the OpenAPI document from the policies), `answers` (decide,
decide many, explain, needs), `problems` (errors as JSON), `guard` (auth, size limit, metrics
middleware), `logs` (decision log), `metrics`, `docs_page` (RapiDoc, served locally), `app`
(the routes), `run` (uvicorn). Needs the extra `almen[serve]`.
"""

from almen.interpreter.serve.app import create_app
from almen.interpreter.serve.settings import Settings

__all__ = ["Settings", "create_app"]
