"""The ``vermilion`` command: ``vermilion demo``, ``vermilion server`` and ``vermilion sql``."""

from __future__ import annotations

import argparse
import os
import sys
import time


def _serve(args: argparse.Namespace) -> int:
    from .server import EmbeddedServer

    with EmbeddedServer(tcp=args.port is not None, port=args.port) as server:
        print(f"redis-server running at {server.url} (Ctrl-C stops it)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vermilion", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="show vermilion types shared between two processes")
    demo.add_argument("--url", default=os.environ.get("VERMILION_URL"),
                      help="Redis URL (default: VERMILION_URL, else an embedded redis-server)")
    server = sub.add_parser("server", help="run a private redis-server in the foreground")
    server.add_argument("--port", type=int, default=None, help="TCP port (default: unix socket)")
    sql = sub.add_parser("sql", help="run SQL on a database stored in Redis (shell or one-shot)",
                         description="Run SQL on a vermilion.sql database: an interactive shell "
                                     "(statements end with ';', .help lists the dot commands), "
                                     "or the SQL given as argument.")
    from .sqlshell import add_arguments

    add_arguments(sql)
    args = parser.parse_args(argv)
    if args.command == "sql":
        from .sqlshell import run

        return run(args)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(args.url)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
