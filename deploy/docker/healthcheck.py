"""Container HEALTHCHECK: exit 0 when this service answers GET /healthz (liveness only).

Standard library only (the slim image has no curl). The port is the one the service binds:
EARSHOT_HTTP_PORT, 8000 in the images.
"""

import os
import sys
import urllib.request

port = os.environ.get("EARSHOT_HTTP_PORT", "8000")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # any failure is "unhealthy"; say why in `docker inspect`
    print(f"healthz failed: {exc}", file=sys.stderr)
    sys.exit(1)
