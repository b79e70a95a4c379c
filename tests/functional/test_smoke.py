from __future__ import annotations

from tests.conftest import auth
from tests.factories import ANON, server_json


def test_publish_with_anonymous_token_and_read_back(client):
    token = client.post("/v0.1/auth/none").json()["registry_token"]
    doc = server_json(name=f"{ANON}/weather")
    r = client.post("/v0.1/publish", json=doc, headers=auth(token))
    assert r.status_code == 200, r.text
    assert r.json()["server"]["name"] == f"{ANON}/weather"
    got = client.get(f"/v0.1/servers/{ANON}%2Fweather/versions/latest")
    assert got.status_code == 200
    assert got.json()["server"] == r.json()["server"]
