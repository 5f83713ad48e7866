"""`python -m cluster.forward 10.231.0.1:5432=127.0.0.1:5432 ...`: a TCP forwarder for the cluster.

PostgreSQL and Redis listen on 127.0.0.1 in the root network namespace, which the nodes (each in a namespace
of its own) cannot reach. Rather than reconfigure the machine's servers, this forwarder listens on the
bridge address the nodes can reach and copies bytes both ways to the loopback address. One asyncio process
serves every pair; it exits on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

BUFFER = 64 * 1024


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(BUFFER):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def _handler(target_host: str, target_port: int):
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        # Cancelled when the forwarder stops: the connections just close.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))

    return handle


def _address(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host, int(port)


async def serve(pairs: list[tuple[tuple[str, int], tuple[str, int]]]) -> None:
    servers = [
        await asyncio.start_server(_handler(*target), host, port, reuse_address=True)
        for (host, port), target in pairs
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("forwarding " + ", ".join(f"{a[0]}:{a[1]} -> {b[0]}:{b[1]}" for a, b in pairs), flush=True)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    pairs = []
    for spec in argv:
        listen, target = spec.split("=", 1)
        pairs.append((_address(listen), _address(target)))
    asyncio.run(serve(pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
