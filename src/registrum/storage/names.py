"""Names: the names servers left by a rename (reserved for a while, then redirecting), and
offers to move a server to a namespace someone else holds."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from registrum.core.records import TransferOffer
from registrum.storage.changelog import Journal
from registrum.storage.reads import ReadLine
from registrum.storage.tables import retired_names, server_versions, servers, transfer_offers

_sv = server_versions
_RETIRED = select(retired_names.c.server_id, retired_names.c.reserved_until).where(
    retired_names.c.name == bindparam("name")
)
_OFFER_COLUMNS = (
    transfer_offers.c.id,
    transfer_offers.c.server_id,
    transfer_offers.c.name,
    transfer_offers.c.new_name,
    transfer_offers.c.offered_by,
    transfer_offers.c.created_at,
    transfer_offers.c.expires_at,
    transfer_offers.c.accepted_at,
    transfer_offers.c.accepted_by,
)
_MOVED_TO = (
    "SELECT s.name FROM retired_names r JOIN servers s ON s.id = r.server_id WHERE r.name = :name"
)
_OFFER = (
    "SELECT id, server_id, name, new_name, offered_by, created_at, expires_at, accepted_at, "
    "accepted_by FROM transfer_offers WHERE id = :id"
)


class SqlNames:
    def __init__(self, conn: Connection, journal: Journal) -> None:
        self._conn = conn
        self._journal = journal

    def retired(self, name: str) -> tuple[str, datetime] | None:
        row = self._conn.execute(_RETIRED, {"name": name}).first()
        return (row[0], row[1]) if row is not None else None

    def retire(self, name: str, server_id: str, at: datetime, until: datetime) -> None:
        self.release(name)
        self._conn.execute(
            retired_names.insert(),
            {"name": name, "server_id": server_id, "retired_at": at, "reserved_until": until},
        )

    def release(self, name: str) -> None:
        self._conn.execute(retired_names.delete().where(retired_names.c.name == name))

    def rename_server(
        self,
        server_id: str,
        new_name: str,
        previous_names: list[str],
        bodies: dict[str, str],
        at: datetime,
    ) -> None:
        self._conn.execute(update(servers).where(servers.c.id == server_id).values(name=new_name))
        self._journal.servers_touched.add(server_id)
        previous = json.dumps(previous_names) if previous_names else None
        for version_id, body in bodies.items():
            self._conn.execute(
                update(_sv)
                .where(_sv.c.id == version_id)
                .values(
                    name=new_name,
                    body=body,
                    previous_names=previous,
                    updated_at=at,
                    origin_updated_at=None,
                )
            )

    def create_offer(self, offer: TransferOffer) -> None:
        self._conn.execute(
            transfer_offers.insert(),
            {
                "id": offer.id,
                "server_id": offer.server_id,
                "name": offer.name,
                "new_name": offer.new_name,
                "offered_by": offer.offered_by,
                "created_at": offer.created_at,
                "expires_at": offer.expires_at,
            },
        )

    def find_offer(self, offer_id: str) -> TransferOffer | None:
        stmt = select(*_OFFER_COLUMNS).where(transfer_offers.c.id == offer_id)
        row = self._conn.execute(stmt).first()
        return TransferOffer(*row) if row is not None else None

    def accept_offer(self, offer_id: str, at: datetime, by: str) -> None:
        self._conn.execute(
            update(transfer_offers)
            .where(transfer_offers.c.id == offer_id)
            .values(accepted_at=at, accepted_by=by)
        )


class SqlNameReads:
    def __init__(self, reads: ReadLine) -> None:
        self._reads = reads

    def moved_to(self, name: str) -> str | None:
        rows = self._reads.rows(_MOVED_TO, {"name": name})
        return str(rows[0][0]) if rows else None

    def find_offer(self, offer_id: str) -> TransferOffer | None:
        rows = self._reads.rows(_OFFER, {"id": offer_id})
        if not rows:
            return None
        r = rows[0]
        time = self._reads.dialect.time_value
        return TransferOffer(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            time(r[5]),
            time(r[6]),
            time(r[7]) if r[7] is not None else None,
            r[8],
        )
