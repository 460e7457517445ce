"""The HTTP decision service: a versioned JSON API over the policies of a folder (Starlette/ASGI).

Endpoints (docs/integrasjon.md): `GET /v1/regelverk`, `GET /v1/regelverk/{id}`,
`GET /v1/regelverk/{id}/skjema`, `POST /v1/regelverk/{id}/vurdering`, `…/forklaring?format=`,
`…/mangler`, `POST /v1/etterproving`, `GET /openapi.json`, `GET /helse`, `GET /klar`.
Every error is an RFC 9457 `application/problem+json` document with the library's problem codes.
A decision is answered only after the decision log has committed it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from boligregler import __version__
from boligregler.api import Policy
from boligregler.diagnostics import BoligreglerError, suggest, utf8_position
from boligregler.evaluation.runtime import EvaluationError
from boligregler.evaluation.soknad import SoknadError
from boligregler.explain.replay import read_record, replay_record
from boligregler.money import load_json
from boligregler.rendering.json_schema import soknad_schema
from boligregler.server.log import DecisionLog, LogError
from boligregler.server.openapi import openapi_document
from boligregler.server.registry import Registry

log = logging.getLogger("boligregler.server")

LOG_CHECK_TIMEOUT = 8.0  # seconds /klar waits for the decision log to answer
LETTER_TYPES = {"tekst": "text/plain; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
                "html": "text/html; charset=utf-8", "json": "application/json"}


def letter_format(accept: str) -> str:
    """The letter format an `Accept` header prefers (`format=` in the query wins), by RFC 9110: media
    types without regard to case, `type/*` and `*/*` ranges, q-values (q=0 refuses a type); the most
    specific range decides a type's q, the highest q wins and the first listed on a tie; text with no
    header. 406 when the header allows none of the four."""
    ranges = []
    for order, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for p in params:
            name, _, value = p.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q, order))
    if not ranges:
        return "tekst"

    def quality(media: str) -> tuple[float, int]:
        kind = media.split("/")[0]
        for pattern in (media, f"{kind}/*", "*/*"):  # the most specific range that matches
            found = [(q, order) for m, q, order in ranges if m == pattern]
            if found:
                return max(found, key=lambda x: (x[0], -x[1]))
        return 0.0, len(ranges)
    scored = [(quality(media.split(";")[0]), fmt) for fmt, media in LETTER_TYPES.items()]
    (best_q, _), best = max(scored, key=lambda x: (x[0][0], -x[0][1]))
    if best_q <= 0:
        raise Problem(406, "ukjent_format", "Formatet kan ikke leveres",
                      f"Accept må tillate en av {', '.join(m.split(';')[0] for m in LETTER_TYPES.values())}, "
                      f"eller bruk ?format= ({', '.join(LETTER_TYPES)})")
    return best


@attrs.frozen
class Settings:
    """Limits and security of one service."""

    tokens: tuple[str, ...] = ()  # bearer tokens; empty: no authentication (only allowed on loopback)
    max_body: int = 1 << 20  # bytes
    body_timeout: float = 10.0  # seconds to receive a whole request body
    request_timeout: float = 30.0  # seconds for an assessment, logging included
    max_concurrent: int = 1000  # requests in progress at once; more are answered 503 `overbelastet`


class Problem(Exception):
    """An error answered as application/problem+json."""

    def __init__(self, status: int, code: str, title: str, detail: str = "", problems: list | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or title)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.problems = problems or []
        self.headers = headers or {}

    def response(self, extensions: dict[str, Any] | None = None) -> Response:
        """The problem document; `extensions` are further members (RFC 9457 § 3.2)."""
        body: dict[str, Any] = {"type": f"urn:boligregler:problem:{self.code}", "title": self.title,
                                "status": self.status, "kode": self.code}
        if self.detail:
            body["detail"] = self.detail
        if self.problems:
            body["problemer"] = self.problems
        body |= extensions or {}
        return Response(_dumps(body), self.status, self.headers, media_type="application/problem+json")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None,
                  media_type: str = "application/json") -> Response:
    return Response(_dumps(value), status, headers, media_type=media_type)


def from_library(error: BoligreglerError) -> Problem:
    """A library error as a problem response: 422 for a søknad or assessment the policy refuses."""
    data = error.to_dict()
    if isinstance(error, SoknadError):
        return Problem(422, data["kode"], "Søknaden er ugyldig", f"{len(data['problemer'])} feil i søknaden",
                       data["problemer"])
    if isinstance(error, EvaluationError):
        return Problem(422, data["kode"], "Søknaden kan ikke vurderes", data["problemer"][0]["melding"],
                       data["problemer"])
    if isinstance(error, LogError):
        return Problem(503, error.code, "Vedtaket kunne ikke logges",
                       "Beslutningsloggen er ikke tilgjengelig; vedtaket er ikke fattet. Prøv igjen.")
    return Problem(422, data["kode"], "Forespørselen kan ikke behandles", data["melding"], data["problemer"])


class Service:
    """The state behind the routes: policies, the decision log, limits."""

    def __init__(self, registry: Registry, decision_log: DecisionLog | None, settings: Settings) -> None:
        self.registry = registry
        self.log = decision_log
        self.settings = settings
        self._token_digests = tuple(hashlib.sha256(t.encode()).digest() for t in settings.tokens)
        self.started = time.time()

    # ---- request plumbing -----------------------------------------------------------------------

    def authorised(self, request: Request) -> bool:
        if not self._token_digests:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        digest = hashlib.sha256(token.strip().encode()).digest()
        ok = False
        for known in self._token_digests:  # compare with every token, in constant time each
            ok |= hmac.compare_digest(digest, known)
        return ok

    async def body(self, request: Request) -> Any:
        """The request body as JSON (numbers as Decimal), within the size and time limits."""
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type not in ("application/json", "") and not content_type.endswith("+json"):
            raise Problem(415, "feil_innholdstype", "Feil innholdstype",
                          "Send søknaden som JSON (Content-Type: application/json).")
        limit = self.settings.max_body
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise Problem(413, "for_stor", "Forespørselen er for stor", f"Høyst {limit} byte er tillatt.")
        chunks, size = [], 0
        try:
            with anyio.fail_after(self.settings.body_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise Problem(413, "for_stor", "Forespørselen er for stor", f"Høyst {limit} byte er tillatt.",
                                      headers={"Connection": "close"})
                    chunks.append(chunk)
        except TimeoutError:
            raise Problem(408, "tidsavbrudd_forespørsel", "Forespørselen kom ikke fram i tide",
                          f"Hele forespørselen må sendes innen {self.settings.body_timeout:g} sekunder.",
                          headers={"Connection": "close"}) from None
        data = b"".join(chunks)
        if not data.strip():
            raise Problem(400, "tom_forespørsel", "Forespørselen er tom", "Send et JSON-objekt.")
        try:
            return load_json(data)
        except json.JSONDecodeError as e:
            raise Problem(400, "ugyldig_json", "Ugyldig JSON", f"linje {e.lineno}, kolonne {e.colno}: {e.msg}",
                          [{"kode": "ugyldig_json", "sti": [], "peker": "", "felt": "", "melding": e.msg,
                            "parametre": {"linje": e.lineno, "kolonne": e.colno}}]) from None
        except UnicodeDecodeError as e:
            line, column, message = utf8_position(data, e)
            raise Problem(400, "ugyldig_json", "Ugyldig JSON", f"linje {line}, kolonne {column}: {message}; "
                          "send forespørselen som UTF-8",
                          [{"kode": "ikke_utf8", "sti": [], "peker": "", "felt": "", "melding": message,
                            "parametre": {"linje": line, "kolonne": column}}]) from None
        except ValueError:
            raise Problem(400, "ugyldig_json", "Ugyldig JSON", "Et tall i forespørselen er for langt") from None

    def policy(self, request: Request) -> Policy:
        pid = request.path_params["id"]
        policy = self.registry.get(pid)
        if policy is None:
            guess = suggest(pid, self.registry.policies)
            raise Problem(404, "ukjent_regelverk", "Ukjent regelverk",
                          f"Regelverket «{pid}» finnes ikke" + (f"; mente du «{guess}»?" if guess else "."),
                          [{"kode": "ukjent_regelverk", "sti": [], "peker": "", "felt": "",
                            "melding": f"ukjent regelverk «{pid}»",
                            "parametre": {"regelverk": pid, **({"forslag": guess} if guess else {})}}])
        return policy

    async def work(self, fn: Callable[[], Any]) -> Any:
        """Run CPU work (assessment, letter, log append) in a worker thread, within the time limit."""
        try:
            with anyio.fail_after(self.settings.request_timeout):
                return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)
        except TimeoutError:
            raise Problem(503, "tidsavbrudd", "Vurderingen tok for lang tid",
                          f"Grensen er {self.settings.request_timeout:g} sekunder. Vedtaket er ikke bekreftet.") from None

    def decide(self, policy: Policy, soknad: Any, *, letter: bool) -> tuple[Any, dict, dict[str, str]]:
        """Assess and log a søknad; the headers name the log entry. Runs in a worker thread."""
        decision = policy.evaluate(soknad)
        record = decision.to_dict(letter=letter)
        headers = {}
        if self.log is not None:
            receipt = self.log.append(regelverk=policy.id, regelverk_sha256=policy.sha256, soknad=soknad,
                                      soknad_sha256=record["sporbarhet"]["søknad_sha256"], vedtak=record)
            headers = {"Boligregler-Logg-Lopenummer": str(receipt.lopenummer), "Boligregler-Logg-Hash": receipt.hash}
        return decision, record, headers

    # ---- routes ------------------------------------------------------------------------------

    def summary(self, policy: Policy) -> dict[str, Any]:
        header = policy.model.header
        vedtatt = header.get("vedtatt")
        base = f"/v1/regelverk/{policy.id}"
        return {
            "id": policy.id, "navn": policy.navn, "kommune": header.get("kommune"),
            "målform": str(header.get("målform", "bokmål")), "sha256": policy.sha256,
            "vedtatt": vedtatt.isoformat() if hasattr(vedtatt, "isoformat") else vedtatt,
            "versjon": policy.versjon, "bygger_på": list(policy.model.chain[:-1]),
            "ordninger": [{"id": s.id, "tittel": s.title} for s in policy.model.schemes.values()],
            "lenker": {"selv": base, "skjema": f"{base}/skjema", "vurdering": f"{base}/vurdering",
                       "forklaring": f"{base}/forklaring", "mangler": f"{base}/mangler"},
        }

    async def list_policies(self, request: Request) -> Response:
        policies = self.registry.policies
        return json_response({"regelverk": [self.summary(policies[k]) for k in sorted(policies)]})

    async def policy_detail(self, request: Request) -> Response:
        policy = self.policy(request)
        model = policy.model
        out = self.summary(policy)
        out |= {
            "kilde": model.header.get("kilde"), "klageinstans": model.header.get("klageinstans"),
            "vilkår": [{"id": c.id, "tittel": c.title, "art": c.kind, "hjemmel": c.hjemmel, "lenke": c.lenke}
                       for c in model.criteria],
            "parametre": [{"navn": p.name, "enhet": getattr(p.type, "unit", None), "regelverk": p.origin.policy,
                           "verdier": [{"gyldig_fra": v.valid_from.isoformat(), "kilde": v.source} for v in p.values]}
                          for p in model.parameters.values()],
        }
        return json_response(out)

    async def schema(self, request: Request) -> Response:
        policy = self.policy(request)
        return json_response(soknad_schema(policy.model, policy.sha256), media_type="application/schema+json")

    async def vurdering(self, request: Request) -> Response:
        policy = self.policy(request)
        soknad = await self.body(request)
        letter = request.query_params.get("begrunnelse", "ja") != "nei"
        decision, record, headers = await self.work(lambda: self.decide(policy, soknad, letter=letter))
        request.state.note = f"regelverk={policy.id} utfall={decision.utfall} " \
                             f"søknad_sha256={record['sporbarhet']['søknad_sha256'][:16]}" + \
                             (f" logg={headers['Boligregler-Logg-Lopenummer']}" if headers else "")
        return json_response(record, headers=headers)

    async def forklaring(self, request: Request) -> Response:
        from boligregler.explain.letter import build_letter
        from boligregler.rendering.letter import render

        policy = self.policy(request)
        fmt = request.query_params.get("format") or letter_format(request.headers.get("accept", ""))
        if fmt not in LETTER_TYPES:
            raise Problem(400, "ukjent_format", "Ukjent format",
                          f"format må være en av {', '.join(LETTER_TYPES)}, ikke «{fmt}»")
        soknad = await self.body(request)

        def letter():
            decision, record, headers = self.decide(policy, soknad, letter=True)
            return decision, render(build_letter(decision), fmt), headers

        decision, text, headers = await self.work(letter)
        request.state.note = f"regelverk={policy.id} utfall={decision.utfall}"
        return Response(text.encode("utf-8"), 200, {**(headers or {}), "Vary": "Accept"},
                        media_type=LETTER_TYPES[fmt])

    async def mangler(self, request: Request) -> Response:
        from boligregler.explain.missing import missing_facts

        policy = self.policy(request)
        body = await self.body(request)
        unknown = request.query_params.getlist("ukjent")
        result = await self.work(lambda: missing_facts(policy, body, unknown))
        return json_response(result.to_dict())

    async def etterproving(self, request: Request) -> Response:
        body = await self.body(request)
        if not isinstance(body, dict) or "vedtak" not in body or "søknad" not in body:
            raise Problem(422, "ugyldig_forespørsel", "Forespørselen mangler felt",
                          "Send {\"vedtak\": <lagret vedtak>, \"søknad\": <søknaden>}.",
                          [{"kode": "mangler", "sti": [k], "peker": f"/{k}", "felt": k, "melding": "mangler",
                            "parametre": {}} for k in ("vedtak", "søknad") if not isinstance(body, dict) or k not in body])
        recorded = read_record(body["vedtak"], "vedtak")
        pid = str(recorded["sporbarhet"]["regelverk"].get("id", ""))
        policy = self.registry.get(pid)
        if policy is None:
            raise Problem(404, "ukjent_regelverk", "Ukjent regelverk",
                          f"Vedtaket er fattet etter «{pid}», som tjenesten ikke har.")
        replay = await self.work(lambda: replay_record(recorded, body["søknad"], policy))
        return json_response(replay.to_dict())

    async def openapi(self, request: Request) -> Response:
        return json_response(openapi_document(__version__))

    async def helse(self, request: Request) -> Response:
        return json_response({"status": "ok", "versjon": __version__})

    async def klar(self, request: Request) -> Response:
        """Ready when a policy is served and the decision log can be reached now; else a 503 problem."""
        registry = self.registry
        log_problem = None
        if self.log is not None:
            try:
                with anyio.fail_after(LOG_CHECK_TIMEOUT):
                    log_problem = await anyio.to_thread.run_sync(self.log.check, abandon_on_cancel=True)
            except TimeoutError:
                log_problem = f"beslutningsloggen svarte ikke innen {LOG_CHECK_TIMEOUT:g} sekunder"
        state = {"klar": not log_problem and bool(registry.policies), "regelverk": sorted(registry.policies),
                 "ikke_lastet": [f.to_dict() for f in registry.failures],
                 "logg": None if self.log is None else {"lager": self.log.description, "tilgjengelig": not log_problem}}
        if state["klar"]:
            return json_response(state)
        if log_problem:
            problem = Problem(503, LogError.code, "Beslutningsloggen er ikke tilgjengelig",
                              f"{log_problem}. Vedtak kan ikke fattes før loggen er tilgjengelig igjen.")
        else:
            problem = Problem(503, "ingen_regelverk", "Ingen regelverk er lastet",
                              "Ingen regelverk kunne tas i bruk; se «ikke_lastet».")
        return problem.response(state)


OPEN = {"/helse"}  # answered without a token, for load balancers
SAFE_ID = re.compile(r"[^A-Za-z0-9._:-]")  # a client's X-Request-Id, as it may appear in the server log


def wrap(service: Service, handler: Callable[[Request], Awaitable[Response]]):
    """Authentication, problem responses for every error, and a log line without personal data."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        request_id = SAFE_ID.sub("", request.headers.get("x-request-id", ""))[:64] or uuid.uuid4().hex[:16]
        request.state.note = ""
        try:
            if request.url.path not in OPEN and not service.authorised(request):
                raise Problem(401, "ikke_autentisert", "Mangler gyldig nøkkel",
                              "Send «Authorization: Bearer <nøkkel>».", headers={"WWW-Authenticate": "Bearer"})
            response = await handler(request)
        except Problem as p:
            response = p.response()
        except BoligreglerError as e:
            response = from_library(e).response()
        except ClientDisconnect:
            response = Problem(400, "avbrutt", "Klienten avbrøt forespørselen").response()
        except Exception:
            log.exception("intern feil: id=%s %s %s", request_id, request.method, request.url.path)
            response = Problem(500, "intern_feil", "Intern feil",
                               f"Noe gikk galt i tjenesten. Oppgi forespørsels-id {request_id}.").response()
        response.headers["X-Request-Id"] = request_id
        log.info("%s %s %d %.1f ms id=%s %s", request.method, request.url.path, response.status_code,
                 (time.perf_counter() - started) * 1000, request_id, request.state.note)
        return response

    return endpoint


async def _not_found(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return Problem(405, "metode_ikke_tillatt", "Metoden er ikke tillatt",
                       f"{request.method} kan ikke brukes på {request.url.path}.").response()
    return Problem(exc.status_code, "ikke_funnet" if exc.status_code == 404 else "feil",
                   "Finnes ikke" if exc.status_code == 404 else "Feil",
                   "Se /openapi.json for tjenestens adresser." if exc.status_code == 404 else "").response()


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("intern feil utenfor en rute: %s", type(exc).__name__)
    return Problem(500, "intern_feil", "Intern feil", "Noe gikk galt i tjenesten.").response()


class ConcurrencyLimit:
    """ASGI middleware: at most `limit` HTTP requests in progress; the next gets a 503 problem.

    uvicorn's own limit answers in plain text; a case system reads every error as problem+json.
    `/helse` is always answered, so a load balancer does not take a busy service for a dead one.
    """

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit, self.active = app, limit, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN:
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            response = Problem(503, "overbelastet", "Tjenesten er opptatt",
                               f"Tjenesten behandler allerede {self.limit} forespørsler. Prøv igjen om litt.",
                               headers={"Retry-After": "1"}).response()
            await response(scope, receive, send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


def create_app(registry: Registry, decision_log: DecisionLog | None = None,
               settings: Settings | None = None) -> Starlette:
    """The ASGI application; `registry` should be started (`Registry.start`) before it serves."""
    service = Service(registry, decision_log, settings or Settings())
    s = service
    routes = [
        Route("/v1/regelverk", wrap(s, s.list_policies), methods=["GET"]),
        Route("/v1/regelverk/{id}", wrap(s, s.policy_detail), methods=["GET"]),
        Route("/v1/regelverk/{id}/skjema", wrap(s, s.schema), methods=["GET"]),
        Route("/v1/regelverk/{id}/vurdering", wrap(s, s.vurdering), methods=["POST"]),
        Route("/v1/regelverk/{id}/forklaring", wrap(s, s.forklaring), methods=["POST"]),
        Route("/v1/regelverk/{id}/mangler", wrap(s, s.mangler), methods=["POST"]),
        Route("/v1/etterproving", wrap(s, s.etterproving), methods=["POST"]),
        Route("/openapi.json", wrap(s, s.openapi), methods=["GET"]),
        Route("/helse", wrap(s, s.helse), methods=["GET"]),
        Route("/klar", wrap(s, s.klar), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _not_found, Exception: _internal},
                    middleware=[Middleware(ConcurrencyLimit, limit=service.settings.max_concurrent)])
    app.state.service = service
    return app
