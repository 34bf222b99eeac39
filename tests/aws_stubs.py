"""Real botocore clients behind Stubbers, for the tests of commands that call AWS (`mw history`, `mw targets`)."""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.stub import Stubber

from mw._aws import Clients, client_config

DEFAULT_REGION = "us-east-1"
BOTOCORE = botocore.session.get_session()  # one session: service models load once for all tests


class StubClients(Clients):
    """Real botocore clients (dummy keys), each behind an active Stubber; remembers the regions asked for."""

    def __init__(self, region: str | None = DEFAULT_REGION) -> None:
        super().__init__(region=region)
        self.stubbers: dict[tuple[str, str], Stubber] = {}
        self.asked: list[tuple[str, str | None]] = []

    def client(self, service: str, region: str | None = None) -> Any:
        self.asked.append((service, region or self.region))
        key = (service, region or self.region or DEFAULT_REGION)
        if key not in self.stubbers:
            client = BOTOCORE.create_client(service, region_name=key[1], aws_access_key_id="testing",
                                             aws_secret_access_key="testing",
                                             config=client_config(self.timeout, self.attempts))
            self.stubbers[key] = Stubber(client)
            self.stubbers[key].activate()
        return self.stubbers[key].client

    def stub(self, service: str = "ssm", region: str | None = None) -> Stubber:
        """The Stubber of ``service`` in ``region`` (default: these clients' region, else us-east-1)."""
        self.client(service, region)
        self.asked.pop()  # setting up an answer is not a call
        return self.stubbers[(service, region or self.region or DEFAULT_REGION)]
