"""Health check of the web container: the sign-in page answers 200 through Django and its middleware.

    python scripts/healthcheck.py [BASE_URL]      (default http://127.0.0.1:8000)

Sent as the TLS proxy would send it (an allowed host name, X-Forwarded-Proto: https), since production
settings refuse unknown hosts and redirect plain http.
"""

import os
import sys
import urllib.request

hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip() not in {"", "*"}]
host = hosts[0].lstrip(".") if hosts else "localhost"
base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
request = urllib.request.Request(  # noqa: S310 - an http URL on this container
    f"{base_url.rstrip('/')}/accounts/login/", headers={"Host": host, "X-Forwarded-Proto": "https"}
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(f"unhealthy: {error}", file=sys.stderr)
    sys.exit(1)
