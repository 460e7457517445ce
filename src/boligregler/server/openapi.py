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
          "503": _problem("Vedtaket kunne ikke logges, eller vurderingen tok for lang tid; vedtaket er ikke fattet; "
                          "eller tjenesten er opptatt (overbelastet, prøv igjen etter Retry-After)")}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = (), description: str = "") -> dict[str, Any]:
    """A closed object: every property listed, all required but `optional`."""
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False,
                           "required": [k for k in properties if k not in optional]}
    if description:
        out["description"] = description
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


TEXT = {"type": "string"}
TEXTS = {"type": "array", "items": TEXT}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]{2})?$",
         "description": "kroner som tekst: hele kroner, eller med øre (to desimaler, avrundet halvt opp)"}
# The decision record of vedtak.md (record format 2), closed, so a case system can generate its classes.
RECORD_SCHEMAS: dict[str, Any] = {
    "Vedtak": _object({
        "utfall": {"enum": ["innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"]},
        "ordning": TEXT,
        "policy": _object({"id": TEXT, "navn": TEXT, "sha256": SHA256, "versjon": TEXT,
                           "lovlighet": {"type": "object"}}, optional=("versjon", "lovlighet")),
        "søknadsdato": {"type": "string", "format": "date"},
        "beløp": {"type": "object", "additionalProperties": MONEY},
        "rente": {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "årlig rente i prosent"},
        "nedbetalingstid_år": {"type": "integer"},
        "vilkår": {"type": "array", "items": _ref("Vilkaar")},
        "betingelser": {"type": "array", "items": _object({"id": TEXT, "tekst": TEXT})},
        "mangler": {"type": "array", "items": _ref("Mangel")},
        "mangler_avgrenset": {"const": True, "description": "søket etter hva som mangler, nådde sin grense: "
                                                           "mangler er da alt vilkårene venter på"},
        "skjønnsvurderinger": {"type": "array", "items": _object(
            {"opplysning": TEXT, "beskrivelse": TEXT, "verdi": {}, "begrunnelse": TEXT})},
        "begrunnelse": {"type": "string", "description": "vedtaksbrevet som ren tekst"},
        "sporbarhet": _ref("Sporbarhet"),
    }, optional=("rente", "nedbetalingstid_år", "mangler", "mangler_avgrenset", "skjønnsvurderinger", "begrunnelse"),
        description="Vedtaket som i vedtak.md (vedtaksformat 2)."),
    "Vilkaar": _object({
        "id": TEXT, "tittel": TEXT,
        "resultat": {"enum": ["oppfylt", "ikke_oppfylt", "unntak", "ikke_relevant", "ikke_vurdert"]},
        "art": TEXT, "hjemmel": TEXT, "lenke": TEXT, "unntak": TEXT, "forklaring": TEXT, "venter_på": TEXTS,
    }, optional=("lenke", "unntak", "venter_på")),
    "Mangel": _object({
        "opplysning": TEXT, "beskrivelse": TEXT, "oppgis_av": {"enum": ["søker", "saksbehandler", "dokumentasjon"]},
        "vilkår": TEXTS, "beløp": TEXTS,
    }, optional=("beløp",)),
    "Mangler": _object({
        "avgjort": {"type": "boolean", "description": "om utfallet holder uansett hva opplysningene som mangler, er"},
        "utfall": {"enum": ["innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"]},
        "mangler": {"type": "array", "items": _ref("Mangel"),
                    "description": "nøyaktig opplysningene som kan endre vedtaket, den mest avgjørende først"},
        "trengs_ikke": {"type": "array", "items": _ref("Mangel"),
                        "description": "opplysninger søknaden mangler, men som ikke kan endre vedtaket"},
        "vilkår": {"type": "array", "items": _ref("Vilkaar")},
        "mangler_avgrenset": {"const": True, "description": "som i Vedtak"},
    }, optional=("mangler_avgrenset",),
        description="En ufullstendig søknad vurdert med det den har (explain.missing.Completeness)."),
    "Sporbarhet": _object({
        "bibliotek": _object({"navn": TEXT, "versjon": TEXT}),
        "format": {"type": "integer", "description": "vedtaksformatets versjon"},
        "innhold": _object({"forklaringer": {"type": "boolean"}, "begrunnelse": {"type": "boolean"}}),
        "regelverk": _object({"id": TEXT, "sha256": SHA256,
                              "filer": {"type": "array", "items": _object({"id": TEXT, "fil": TEXT, "sha256": SHA256})}}),
        "søknad_sha256": SHA256,
        "parametre": {"type": "array", "items": _object({
            "navn": TEXT, "verdi": {}, "enhet": {"type": ["string", "null"]}, "gyldig_fra": {"type": "string", "format": "date"},
            "kilde": TEXT, "regelverk": TEXT})},
        "tabeller": {"type": "array", "items": _object({
            "navn": TEXT, "gyldig_fra": {"type": "string", "format": "date"}, "kilde": TEXT, "regelverk": TEXT})},
    }),
    "Etterproving": _object({
        "identisk": {"type": "boolean"}, "samme_innhold": {"type": "boolean"}, "samme_bytes": {"type": "boolean"},
        "merknader": TEXTS,
        "forskjeller": {"type": "array", "items": _object({"sti": TEXT, "vedtaket": {}, "ny_vurdering": {}})},
    }),
}


def openapi_document(version: str) -> dict[str, Any]:
    """The OpenAPI document of the service at library version `version`."""
    post = lambda summary, ok, extra=None, errors=None: {  # noqa: E731
        "summary": summary, "parameters": [ID, *(extra or [])], "requestBody": SOKNAD_BODY,
        "responses": {"200": ok, **ERRORS, **(errors or {})}}
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
                **RECORD_SCHEMAS,
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
                {"description": "Brevet", "content": {
                    **{t: {"schema": {"type": "string"}} for t in ("text/plain", "text/markdown", "text/html")},
                    "application/json": {"schema": {
                        "type": "object", "required": ["dokument", "målform", "tittel", "utfall", "deler"],
                        "description": "brevet som data (format=json): dokumenttypen, utfallet og delene i rekkefølge",
                        "properties": {
                            "dokument": {"enum": ["vedtaksbrev", "saksframlegg", "forespørsel", "oversikt"]},
                            "målform": {"enum": ["bokmål", "nynorsk"]}, "tittel": TEXT,
                            "utfall": {"enum": ["innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"]},
                            "deler": {"type": "array", "items": {"type": "object"}}}}}}},
                [{"name": "format", "in": "query", "schema": {"enum": ["tekst", "markdown", "html", "json"]},
                  "description": "brevets format; uten den velges formatet etter Accept-hodet (text/plain, "
                                 "text/markdown, text/html, application/json), ellers tekst"}],
                {"406": _problem("Accept-hodet tillater ingen av brevets formater")})},
            "/v1/regelverk/{id}/mangler": {"post": post(
                "Opplysninger en ufullstendig søknad mangler, den mest avgjørende først",
                _json("Hva som mangler", _ref("Mangler")),
                [{"name": "ukjent", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
                  "description": "regn feltet (JSON-sti) som ukjent"}])},
            "/v1/etterproving": {"post": {
                "summary": "Etterprøv et lagret vedtak: vurder søknaden på nytt og sammenlign innholdet",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["vedtak", "søknad"],
                    "properties": {"vedtak": {"$ref": "#/components/schemas/Vedtak"}, "søknad": {"type": "object"}}}}}},
                "responses": {"200": _json("Resultatet", {"$ref": "#/components/schemas/Etterproving"}), **ERRORS}}},
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
