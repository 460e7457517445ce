"""The service's OpenAPI 3.1 description (`GET /openapi.json`)."""

from __future__ import annotations

from typing import Any

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM}}}


def _json(description: str, schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
      "description": "Regelverkets id, f.eks. «drammen»."}
SOKNAD_BODY = {"required": True, "description": "Søknaden som JSON (soknad.md). Skjemaet for hvert regelverk står på "
                                                "/v1/regelverk/{id}/skjema.",
               "content": {"application/json": {"schema": {"type": "object"}}}}
ERRORS = {"400": _problem("Ugyldig JSON eller tom forespørsel"), "401": _problem("Mangler gyldig nøkkel"),
          "404": _problem("Ukjent regelverk"), "408": _problem("Forespørselen kom ikke fram i tide"),
          "413": _problem("Forespørselen er for stor"), "415": _problem("Ikke JSON"),
          "422": _problem("Søknaden er ugyldig eller kan ikke vurderes; `problemer` har hver feil med kode og sti"),
          "503": _problem("Vedtaket kunne ikke logges, eller vurderingen tok for lang tid; vedtaket er ikke fattet")}


def openapi_document(version: str) -> dict[str, Any]:
    """The OpenAPI document of the service at library version `version`."""
    post = lambda summary, ok, extra=None: {  # noqa: E731
        "summary": summary, "parameters": [ID, *(extra or [])], "requestBody": SOKNAD_BODY,
        "responses": {"200": ok, **ERRORS}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "boligregler", "version": version,
                 "description": "Vurdering av søknader om startlån etter kommunenes regelverk. Feltnavn som i "
                                "vedtakene (vedtak.md); beløp er tekst med hele kroner eller to desimaler. "
                                "Alle feil er application/problem+json (RFC 9457) med stabile koder."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status", "kode"], "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}, "kode": {"type": "string"},
                    "problemer": {"type": "array", "items": {"$ref": "#/components/schemas/Problemdetalj"}}}},
                "Problemdetalj": {"type": "object", "required": ["kode", "sti", "peker", "melding"], "properties": {
                    "kode": {"type": "string"}, "sti": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "peker": {"type": "string", "description": "JSON Pointer (RFC 6901) til feltet"},
                    "felt": {"type": "string"}, "melding": {"type": "string", "description": "på bokmål"},
                    "parametre": {"type": "object"}}},
                "Vedtak": {"type": "object", "required": ["utfall", "ordning", "policy", "søknadsdato", "beløp",
                                                          "vilkår", "betingelser", "sporbarhet"],
                           "description": "Vedtaket som i vedtak.md, med sporbarhet.",
                           "properties": {"utfall": {"type": "string"}, "beløp": {"type": "object"},
                                          "vilkår": {"type": "array"}, "sporbarhet": {"type": "object"}}},
                "Regelverk": {"type": "object", "properties": {
                    "id": {"type": "string"}, "navn": {"type": "string"}, "kommune": {"type": "string"},
                    "målform": {"type": "string"}, "sha256": {"type": "string"}, "vedtatt": {"type": "string"},
                    "versjon": {"type": ["string", "null"]}}},
            },
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/v1/regelverk": {"get": {"summary": "Regelverkene tjenesten har", "responses": {
                "200": _json("Liste", {"type": "object", "properties": {
                    "regelverk": {"type": "array", "items": {"$ref": "#/components/schemas/Regelverk"}}}}),
                "401": ERRORS["401"]}}},
            "/v1/regelverk/{id}": {"get": {"summary": "Ett regelverk: hode, vilkår og parametre", "parameters": [ID],
                                           "responses": {"200": _json("Regelverket", {"$ref": "#/components/schemas/Regelverk"}),
                                                         "404": ERRORS["404"]}}},
            "/v1/regelverk/{id}/skjema": {"get": {
                "summary": "Søknaden som JSON Schema (2020-12), laget fra regelverkets skjema", "parameters": [ID],
                "responses": {"200": _json("JSON Schema", {"type": "object"}, "application/schema+json"),
                              "404": ERRORS["404"]}}},
            "/v1/regelverk/{id}/vurdering": {"post": post(
                "Vurder en søknad; svaret kommer først når vedtaket er logget",
                {**_json("Vedtaket", {"$ref": "#/components/schemas/Vedtak"}),
                 "headers": {"Boligregler-Logg-Lopenummer": {"schema": {"type": "integer"}},
                             "Boligregler-Logg-Hash": {"schema": {"type": "string"}}}},
                [{"name": "begrunnelse", "in": "query", "schema": {"enum": ["ja", "nei"]},
                  "description": "nei: uten vedtaksbrevet (raskere)"}])},
            "/v1/regelverk/{id}/forklaring": {"post": post(
                "Vedtaksbrevet for en søknad",
                {"description": "Brevet", "content": {t: {"schema": {"type": "string"}}
                                                     for t in ("text/plain", "text/markdown", "text/html")}},
                [{"name": "format", "in": "query", "schema": {"enum": ["tekst", "markdown", "html", "json"]}}])},
            "/v1/regelverk/{id}/mangler": {"post": post(
                "Opplysninger en ufullstendig søknad mangler, den mest avgjørende først",
                _json("Hva som mangler", {"type": "object"}),
                [{"name": "ukjent", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
                  "description": "regn feltet (JSON-sti) som ukjent"}])},
            "/v1/etterproving": {"post": {
                "summary": "Etterprøv et lagret vedtak: vurder søknaden på nytt og sammenlign innholdet",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["vedtak", "søknad"],
                    "properties": {"vedtak": {"$ref": "#/components/schemas/Vedtak"}, "søknad": {"type": "object"}}}}}},
                "responses": {"200": _json("Resultatet", {"type": "object", "properties": {
                    "identisk": {"type": "boolean"}, "forskjeller": {"type": "array"},
                    "merknader": {"type": "array"}}}), **ERRORS}}},
            "/helse": {"get": {"summary": "Tjenesten lever", "security": [{}],
                               "responses": {"200": _json("ok", {"type": "object"})}}},
            "/klar": {"get": {"summary": "Tjenesten er klar: regelverk lastet (og de som ikke kunne lastes, med grunn), "
                                         "og beslutningsloggen kan nås nå",
                              "responses": {"200": _json("klar", {"type": "object"}),
                                            "503": _problem("Ikke klar: beslutningsloggen kan ikke nås "
                                                            "(logg_utilgjengelig) eller ingen regelverk er lastet "
                                                            "(ingen_regelverk); med klar, regelverk, ikke_lastet, logg")}}},
            "/openapi.json": {"get": {"summary": "Dette dokumentet", "responses": {"200": _json("OpenAPI", {"type": "object"})}}},
        },
    }
