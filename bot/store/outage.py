"""Whether an error means the database cannot be reached now (as opposed to a fault in a query).

While it cannot, a person is told to try again in a minute, and nothing is marked done; the engine
reconnects by itself when the database is back (its pool checks connections before use), so the
bot recovers without a restart.
"""

from __future__ import annotations

import sqlalchemy as sa

_DRIVER_SIGNS = ("ConnectionDoesNotExist", "CannotConnectNow", "ConnectionFailure", "InterfaceError",
                 "TooManyConnections", "AdminShutdown", "CrashShutdown", "ConnectionRejection")


def unreachable(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError | TimeoutError | sa.exc.TimeoutError):
            return True  # refused, reset, unreachable host; a connect timeout; no free connection
        lost = sa.exc.OperationalError | sa.exc.InterfaceError
        if isinstance(current, lost) or (isinstance(current, sa.exc.DBAPIError)
                                         and current.connection_invalidated):
            return True
        if isinstance(current, sa.exc.DisconnectionError | sa.exc.ResourceClosedError):
            return True
        if any(sign in type(current).__name__ for sign in _DRIVER_SIGNS):
            return True
        current = current.__cause__ or current.__context__
    return False
