"""`python tests/unit/offline_cli.py ARGS...` runs `tfdata ARGS...` with the network cut off.

The unit corpus runs every command this way, so a case there proves that its input is refused
before any service is reached, whatever services happen to run on this machine: the first name
lookup or connection ends the process at once with exit code NETWORK_USED and one stderr line
naming it (no handler in tfdata can catch that and turn it into an ordinary error).
"""

from __future__ import annotations

import os
import sys

NETWORK_USED = 99
NETWORK_EVENTS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.connect")


def _refuse_network(event: str, args: tuple) -> None:
    if event in NETWORK_EVENTS:
        os.write(2, f"offline_cli: {event}{args[1:] if event == 'socket.connect' else args} in a unit test\n".encode())
        os._exit(NETWORK_USED)


if __name__ == "__main__":
    sys.addaudithook(_refuse_network)
    sys.argv[0] = "tfdata"  # what click shows in usage errors, as for the installed command
    from tfdata.cli import main

    main()
