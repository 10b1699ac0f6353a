"""Generated hostile bodies through the web API: a 4xx with a JSON error or a 201, never a
5xx, and no body may make a later request fail."""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import messages
from tests.web.conftest import AUTH, DONGGUAN_ROOM

Client = TestClient[web.Request, web.Application]
ZHANG_WEI_FIELDS = st.one_of(st.integers(), st.text(max_size=5), st.none(), st.booleans())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(messages, st.integers(), st.none()),
    room=st.one_of(st.just(DONGGUAN_ROOM), messages),
    person=ZHANG_WEI_FIELDS,
    raw=st.booleans(),
)
async def test_hostile_posts_never_fail_the_server(
    client: Client, text: object, room: object, person: object, raw: bool
) -> None:
    body = {"room": room, "person_id": person, "text": text}
    # A JSON text with a lone surrogate escape, as a script would send it.
    data = (
        json.dumps(body, ensure_ascii=True)
        if raw
        else json.dumps(body, ensure_ascii=False, default=str)
    )
    response = await client.post(
        "/api/messages",
        data=data.encode("utf-8", "surrogatepass"),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status in (201, 400), await response.text()
    if response.status == 400:
        assert "error" in await response.json()
    listed = await client.get("/api/messages?after=0&wait=0", headers=AUTH)
    assert listed.status == 200
    tickets = await client.get("/api/tickets", headers=AUTH)
    assert tickets.status == 200
