"""The decision service as a case system meets it: `boligregler serve` in a subprocess on localhost."""

from __future__ import annotations

import copy
import json
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import jsonschema
import pytest
from service import Server, policies_folder

from boligregler import load_policy
from boligregler.cli import main
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json
from boligregler.server.log import SQLiteLog, verify_log

ROOT = Path(__file__).resolve().parents[1]
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
FAMILY_JSON = json.loads((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
PROBLEM = "application/problem+json"


TOKEN = "a-very-long-random-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LINT_FIXTURES = sorted((ROOT / "tests" / "fixtures" / "ulovlig").glob("*.pol"))[:2]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The module's two configurations, started side by side (one start costs seconds).

    `served`: the service with a decision log and a smaller size limit. `strict`: as it runs
    exposed: tokens required, a short time to send a request, and a folder that also holds two
    policies the legality lint refuses.
    """
    tmp = tmp_path_factory.mktemp("serve")
    served = Server("--regelverk", str(policies_folder(tmp, ("nasjonal", "drammen", "skien"))),
                    "--database", str(tmp / "logg.sqlite"), "--maks-bytes", "200000", "--intervall", "0", wait=False)
    served.db = tmp / "logg.sqlite"
    tmp = tmp_path_factory.mktemp("strict")
    (tmp / "tokens").write_text(f"# nøkler\n{TOKEN}\n", encoding="utf-8")
    folder = policies_folder(tmp)
    assert len(LINT_FIXTURES) == 2
    for f in LINT_FIXTURES:
        shutil.copy(f, folder / f.name)
    strict = Server("--uten-logg", "--intervall", "0", "--tidsgrense-innsending", "1", "--maks-samtidige", "2", "--token-fil",
                    str(tmp / "tokens"), "--regelverk", str(folder), wait=False)
    try:
        yield served.wait(), strict.wait()
    finally:
        served.stop()
        strict.stop()


@pytest.fixture(scope="module")
def served(servers):
    return servers[0]


@pytest.fixture(scope="module")
def strict(servers):
    return servers[1]


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served.url, timeout=30) as c:
        yield c


def assert_clean_problem(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:boligregler:problem:") and body["title"]
    if code is not None:
        assert body["kode"] == code
    text = response.text
    assert "Traceback" not in text and "/work" not in text and "site-packages" not in text and ".py" not in text
    return body


def test_policies_are_listed_with_digest_and_links(client):
    body = client.get("/v1/regelverk").json()
    by_id = {p["id"]: p for p in body["regelverk"]}
    assert set(by_id) == {"nasjonal", "drammen", "skien"}
    drammen = by_id["drammen"]
    assert drammen["sha256"] == load_policy("drammen").sha256 and drammen["vedtatt"] == "2015-01-01"
    assert drammen["kommune"] == "Drammen kommune" and drammen["bygger_på"] == ["nasjonal"]
    assert "målform" in drammen and "versjon" in drammen
    detail = client.get(drammen["lenker"]["selv"]).json()
    assert any(c["id"] == "bankfinansiering" for c in detail["vilkår"]) and detail["parametre"]


def test_schema_is_valid_2020_12_and_accepts_what_the_policy_accepts(client, capsys):
    response = client.get("/v1/regelverk/drammen/skjema")
    assert response.headers["content-type"].startswith("application/schema+json")
    schema = response.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(FAMILY_JSON)
    validator.validate({**FAMILY_JSON, "sak": {"saksnummer": "2026/17", "automatisert": False}})
    assert schema["properties"]["sak"]["x-saksdata"] is True
    assert schema["properties"]["husstand"]["properties"]["barn"]["items"]["properties"]["alder"]["maximum"] == 17
    assert schema["properties"]["formål"]["description"].startswith("Hva lånet skal brukes til")
    for change in ({"formål": "kjop"}, {"egenkapitel": 1}, {"ønsket_nedbetalingstid_år": 51}):
        assert not validator.is_valid({**FAMILY_JSON, **change}), change
    no_price = copy.deepcopy(FAMILY_JSON)
    del no_price["bolig"]["kjøpesum"]
    assert not validator.is_valid(no_price), "påkrevd når formål i [kjøp, oppføring]"
    no_price["formål"] = "utbedring"
    no_price["bolig"]["kostnad"] = 100000
    assert validator.is_valid(no_price)
    capsys.readouterr()
    assert main(["skjema", "drammen"]) == 0
    assert json.loads(capsys.readouterr().out)["properties"] == schema["properties"]


def test_vurdering_is_the_library_decision_and_is_logged(client, served):
    response = client.post("/v1/regelverk/drammen/vurdering", json=FAMILY_JSON)
    assert response.status_code == 200, response.text
    expected = load_policy(served.db.parent / "regelverk" / "drammen.pol").evaluate(copy.deepcopy(FAMILY)).to_dict()
    assert response.json() == json.loads(json.dumps(expected, ensure_ascii=False))
    number = int(response.headers["Boligregler-Logg-Lopenummer"])
    log = SQLiteLog(served.db)
    entries = {e.lopenummer: e for e in log.entries()}
    assert entries[number].hash == response.headers["Boligregler-Logg-Hash"]
    assert json.loads(entries[number].vedtak) == response.json()
    assert verify_log(log).ok
    log.close()
    quick = client.post("/v1/regelverk/drammen/vurdering?begrunnelse=nei", json=FAMILY_JSON).json()
    assert "begrunnelse" not in quick and quick["sporbarhet"]["søknad_sha256"] == expected["sporbarhet"]["søknad_sha256"]


def test_forklaring_mangler_and_etterproving(client):
    html = client.post("/v1/regelverk/skien/forklaring?format=html", json=FAMILY_JSON)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html") and "<h1" in html.text
    assert_clean_problem(client.post("/v1/regelverk/skien/forklaring?format=pdf", json=FAMILY_JSON), 400,
                         "ukjent_format")
    negotiated = client.post("/v1/regelverk/skien/forklaring", json=FAMILY_JSON,
                             headers={"Accept": "text/markdown;q=0.5, text/html"})
    assert negotiated.headers["content-type"].startswith("text/html") and negotiated.text == html.text
    as_data = client.post("/v1/regelverk/skien/forklaring", json=FAMILY_JSON, headers={"Accept": "application/json"})
    assert as_data.json()["dokument"] == "vedtaksbrev"
    plain = client.post("/v1/regelverk/skien/forklaring", json=FAMILY_JSON, headers={"Accept": "*/*"})
    assert plain.headers["content-type"].startswith("text/plain")
    query_wins = client.post("/v1/regelverk/skien/forklaring?format=markdown", json=FAMILY_JSON,
                             headers={"Accept": "text/html"})
    assert query_wins.headers["content-type"].startswith("text/markdown")
    assert_clean_problem(client.post("/v1/regelverk/skien/forklaring", json=FAMILY_JSON,
                                     headers={"Accept": "application/pdf"}), 406, "ukjent_format")
    assert negotiated.headers["vary"] == "Accept"
    for accept, media in (("Text/HTML", "text/html"), ("application/*", "application/json"),
                          ("text/html; q = 0.1, text/markdown;q=0.5", "text/markdown"),
                          ("text/plain;q=0, */*", "text/markdown"), ("text/*;q=0.3, application/json;q=0.2", "text/plain")):
        got = client.post("/v1/regelverk/skien/forklaring", json=FAMILY_JSON, headers={"Accept": accept})
        assert got.status_code == 200 and got.headers["content-type"].startswith(media), accept
    partial = copy.deepcopy(FAMILY_JSON)
    del partial["bolig"]["boutgifter_per_måned"]
    missing = client.post("/v1/regelverk/skien/mangler", json=partial).json()
    assert missing["avgjort"] is False and missing["utfall"] == "ikke_avgjort"
    assert "bolig.boutgifter_per_måned" in [m["opplysning"] for m in missing["mangler"]]
    spec = client.get("/openapi.json").json()
    response = spec["paths"]["/v1/regelverk/{id}/mangler"]["post"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Mangler"}
    validator = record_validator(spec, "Mangler")
    validator.validate(missing)
    decided = client.post("/v1/regelverk/skien/mangler?ukjent=skjønn.hindrer_arbeid", json=FAMILY_JSON).json()
    validator.validate(decided)
    assert decided["avgjort"] is True and decided["trengs_ikke"][0]["opplysning"] == "skjønn.hindrer_arbeid"
    assert not validator.is_valid({**missing, "utfall": "ukjent"})
    for name in ("Vedtak", "Mangler"):  # every outcome, the undecided one too
        assert spec["components"]["schemas"][name]["properties"]["utfall"]["enum"] == [
            "innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"]
    assert "ikke_vurdert" in spec["components"]["schemas"]["Vilkaar"]["properties"]["resultat"]["enum"]
    letter_schema = spec["paths"]["/v1/regelverk/{id}/forklaring"]["post"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    unassessed = copy.deepcopy(FAMILY_JSON)
    del unassessed["skjønn"]["boligen_egnet_og_nøktern"]
    letter = client.post("/v1/regelverk/skien/forklaring?format=json", json=unassessed).json()
    jsonschema.Draft202012Validator(letter_schema).validate(letter)
    assert letter["utfall"] == "ikke_avgjort" and letter["dokument"] == "forespørsel"
    record = client.post("/v1/regelverk/skien/vurdering", json=FAMILY_JSON).json()
    stored = json.loads(json.dumps(record, sort_keys=True, ensure_ascii=True))  # as a database returns it
    verdict = client.post("/v1/etterproving", json={"vedtak": stored, "søknad": FAMILY_JSON}).json()
    assert verdict["identisk"] is True and verdict["forskjeller"] == []
    stored["beløp"]["startlån"] = "1"
    verdict = client.post("/v1/etterproving", json={"vedtak": stored, "søknad": FAMILY_JSON}).json()
    assert verdict["identisk"] is False and verdict["forskjeller"][0]["sti"] == "beløp.startlån"
    assert_clean_problem(client.post("/v1/etterproving", json={"vedtak": {}}), 422)


def record_validator(spec: dict, name: str) -> jsonschema.Draft202012Validator:
    """A validator for the OpenAPI component `name` (the components as `$defs`)."""
    components = spec["components"]["schemas"]
    schema = json.loads(json.dumps({"$defs": components, **components[name]}).replace("#/components/schemas/",
                                                                                      "#/$defs/"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_every_shipped_example_record_fits_the_openapi_vedtak_schema():
    from boligregler.server.openapi import openapi_document

    validator = record_validator(openapi_document("test"), "Vedtak")
    for path in sorted(shipped_policies_dir().glob("*.pol")):
        policy = load_policy(path)
        for example in policy.model.examples[::2]:
            if example.input is None:
                continue
            partial = copy.deepcopy(example.input)
            partial.get("skjønn", {}).pop("spareevne_utnyttet", None)  # ikke_avgjort, with mangler
            for soknad, explain in ((example.input, True), (partial, False)):
                record = json.loads(json.dumps(policy.evaluate(copy.deepcopy(soknad), explain=explain).to_dict(),
                                               ensure_ascii=False))
                errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(record)]
                assert not errors, (path.stem, example.name, errors[:3])


def test_openapi_helse_klar(client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1") and "/v1/regelverk/{id}/vurdering" in spec["paths"]
    vedtak = record_validator(spec, "Vedtak")
    partial = copy.deepcopy(FAMILY_JSON)
    del partial["skjønn"]["spareevne_utnyttet"]
    for body in (FAMILY_JSON, partial):
        record = client.post("/v1/regelverk/drammen/vurdering", json=body).json()
        vedtak.validate(record)
    assert record["utfall"] == "ikke_avgjort" and record["mangler"]
    verdict = client.post("/v1/etterproving", json={"vedtak": record, "søknad": partial}).json()
    record_validator(spec, "Etterproving").validate(verdict)
    assert client.get("/helse").json()["status"] == "ok"
    klar = client.get("/klar").json()
    assert klar["klar"] is True and klar["ikke_lastet"] == [] and klar["regelverk"] == ["drammen", "nasjonal", "skien"]


def test_bad_bodies_get_clean_problems(client):
    url = "/v1/regelverk/drammen/vurdering"
    body = assert_clean_problem(client.post(url, content=b'{"formal": '), 400, "ugyldig_json")
    assert body["problemer"][0]["parametre"]["kolonne"] == 12
    assert_clean_problem(client.post(url, content=b""), 400, "tom_forespørsel")
    assert_clean_problem(client.post(url, content=b"\xff\xfe{"), 400, "ugyldig_json")
    assert_clean_problem(client.post(url, content=b"[" * 100000 + b"]" * 100000), 400)
    huge = assert_clean_problem(client.post(url, content=b'{"egenkapital": 1' + b"0" * 5000 + b"}"), 422)
    assert any(p["peker"] == "/egenkapital" for p in huge["problemer"])
    assert_clean_problem(client.post(url, content=b"x", headers={"content-type": "text/plain"}), 415)
    assert_clean_problem(client.post(url, json=[1, 2]), 422, "ugyldig_soknad")
    wrong = {**FAMILY_JSON, "egenkapital": 0.125, "husstand": {"voksne": [{"alder": "gammel"}]}, "formål": True}
    body = assert_clean_problem(client.post(url, json=wrong), 422, "ugyldig_soknad")
    pointers = {p["peker"]: p["kode"] for p in body["problemer"]}
    assert pointers == {"/egenkapital": "belop", "/husstand/voksne/0/alder": "heltall", "/formål": "ugyldig_verdi"}
    assert_clean_problem(client.post(url, json={**FAMILY_JSON, "søknadsdato": "1990-01-01"}), 422,
                         "dato_foer_foerste_verdi")
    assert_clean_problem(client.post(url, content=b"{" + b" " * 300000 + b"}"), 413, "for_stor")
    assert_clean_problem(client.post("/v1/regelverk/ukjent/vurdering", json=FAMILY_JSON), 404, "ukjent_regelverk")
    assert_clean_problem(client.get(url), 405, "metode_ikke_tillatt")
    assert_clean_problem(client.get("/v2/noe"), 404, "ikke_funnet")


def test_a_huge_body_without_length_is_cut_off(served):
    def chunks():
        for _ in range(100):
            yield b" " * 10000
    with httpx.Client(base_url=served.url, timeout=30) as c:
        response = c.post("/v1/regelverk/drammen/vurdering", content=chunks())
    assert_clean_problem(response, 413, "for_stor")


def test_a_slow_client_gets_a_timeout_problem(strict):
    with socket.create_connection(("127.0.0.1", strict.port), timeout=10) as s:
        s.sendall(b"POST /v1/regelverk/drammen/vurdering HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + TOKEN.encode() + b"\r\nContent-Length: 1000\r\n\r\n{\"s")
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            data = s.recv(65536)
            if not data:
                break
            reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and b"application/problem+json" in head
    assert json.loads(body)["kode"] == "tidsavbrudd_forespørsel"


def test_requests_beyond_the_concurrency_limit_get_a_problem_not_plain_text(strict):
    held = [socket.create_connection(("127.0.0.1", strict.port), timeout=10) for _ in range(2)]
    try:
        for s in held:  # two requests in progress: their bodies never finish within the 1 s to send them
            s.sendall(b"POST /v1/regelverk/drammen/vurdering HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Authorization: Bearer " + TOKEN.encode() + b"\r\nContent-Length: 1000\r\n\r\n{")
        time.sleep(0.3)
        with httpx.Client(base_url=strict.url, timeout=30) as c:
            busy = c.post("/v1/regelverk/drammen/vurdering", json=FAMILY_JSON, headers=AUTH)
            assert c.get("/helse").status_code == 200  # a load balancer still sees the service alive
            assert_clean_problem(busy, 503, "overbelastet")
            assert busy.headers["retry-after"] == "1"
            for s in held:
                assert s.recv(65536).startswith(b"HTTP/1.1 408")  # the held requests end by their own limit
            assert c.post("/v1/regelverk/drammen/vurdering", json=FAMILY_JSON, headers=AUTH).status_code == 200
    finally:
        for s in held:
            s.close()


def test_tokens_are_required_when_given_and_outside_loopback(strict, capsys, monkeypatch):
    with httpx.Client(base_url=strict.url, timeout=30) as c:
        assert_clean_problem(c.get("/v1/regelverk"), 401, "ikke_autentisert")
        response = c.get("/v1/regelverk", headers={"Authorization": "Bearer wrong-token-of-some-length"})
        assert_clean_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert_clean_problem(c.post("/v1/regelverk/drammen/vurdering", json=FAMILY_JSON), 401)
        assert c.get("/v1/regelverk", headers=AUTH).status_code == 200
        assert c.get("/helse").status_code == 200
    monkeypatch.delenv("BOLIGREGLER_TOKENS", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "1", "--uten-logg"]) == 2
    assert "--token-fil" in capsys.readouterr().err


def test_server_log_has_no_personal_data(client, served):
    marker = copy.deepcopy(FAMILY_JSON)
    marker["egenkapital"] = 123457
    marker["formål"] = "kjøpx"
    client.post("/v1/regelverk/drammen/vurdering", json=marker)
    marker["formål"] = "kjøp"
    assert client.post("/v1/regelverk/drammen/vurdering", json=marker).status_code == 200
    time.sleep(0.2)
    output = served.output()
    assert "POST /v1/regelverk/drammen/vurdering 200" in output and "søknad_sha256=" in output
    assert "123457" not in output and "kjøpx" not in output


def test_hot_reload_under_load_serves_no_error(tmp_path):
    folder = policies_folder(tmp_path)
    server = Server("--regelverk", str(folder), "--uten-logg", "--intervall", "0.05")
    original = (folder / "drammen.pol").read_text(encoding="utf-8")
    changed = original.replace("    5 % fra 2015-01-01", "    6 % fra 2015-01-01")
    broken = original.replace("regelverk drammen", "regelverk drammen {{{")
    statuses: list[int] = []
    rates: set[str] = set()
    stop = threading.Event()

    def load():
        with httpx.Client(base_url=server.url, timeout=30) as c:
            while not stop.is_set():
                r = c.post("/v1/regelverk/drammen/vurdering?begrunnelse=nei", json=FAMILY_JSON)
                statuses.append(r.status_code)
                if r.status_code == 200:
                    rates.update(p["verdi"] for p in r.json()["sporbarhet"]["parametre"]
                                 if p["navn"] == "kalkulasjonsrente")

    workers = [threading.Thread(target=load) for _ in range(4)]
    try:
        for w in workers:
            w.start()
        shas = {id(t): load_policy_text_sha(t) for t in (original, changed)}
        with httpx.Client(base_url=server.url, timeout=30) as c:
            for text in (changed, broken, original, changed, broken):
                (folder / "drammen.pol").write_text(text, encoding="utf-8")
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:  # until the service has picked the file up
                    klar = c.get("/klar").json()
                    served_sha = {p["id"]: p["sha256"] for p in c.get("/v1/regelverk").json()["regelverk"]}["drammen"]
                    failing = any(f["fil"] == "drammen.pol" for f in klar["ikke_lastet"])
                    if (failing and text is broken) or (not failing and served_sha == shas.get(id(text))):
                        break
                    time.sleep(0.05)
                time.sleep(0.3)  # requests go on under this version
    finally:
        stop.set()
        for w in workers:
            w.join()
        server.stop()
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    assert rates == {"5", "6"}, "both versions were served, never a broken one"
    failure = next(f for f in klar["ikke_lastet"] if f["fil"] == "drammen.pol")
    assert failure["tidligere_versjon_brukes"] is True and failure["feil"][0].startswith("S")
    assert served_sha == load_policy_text_sha(changed)
    assert "regelverk ikke lastet: fil=drammen.pol" in server.output()
    assert str(folder) not in json.dumps(klar)


def load_policy_text_sha(text: str) -> str:
    from boligregler import load_policy_text
    return load_policy_text(text, name="drammen.pol").sha256


def test_a_policy_failing_the_legality_lint_is_not_served(strict):
    with httpx.Client(base_url=strict.url, timeout=30, headers=AUTH) as c:
        served_ids = {p["id"] for p in c.get("/v1/regelverk").json()["regelverk"]}
        klar = c.get("/klar").json()
    refused = {f["fil"] for f in klar["ikke_lastet"]}
    assert {f.name for f in LINT_FIXTURES} <= refused
    assert not served_ids & {f.stem for f in LINT_FIXTURES} and served_ids == {"nasjonal", "drammen"}
    assert klar["klar"] is True and klar["logg"] is None  # what is served is served; the refused are named
