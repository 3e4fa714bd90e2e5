"""Reading the subdomain of a request from its host, as Flask's URL adapter does.

With `subdomain_matching` on and `SERVER_NAME` set, the subdomain is what comes
before `.SERVER_NAME` in the Host header. Both names are compared lower-cased
and without the scheme's default port (`:80` for http/ws, `:443` for
https/wss); any other port must agree. A host outside `SERVER_NAME` gets the
subdomain `<invalid>`, which only rules with a subdomain variable can match
(Werkzeug's behaviour, kept so the same requests match as in Flask).
"""

from __future__ import annotations

INVALID_SUBDOMAIN = "<invalid>"

_DEFAULT_PORTS = {"http": ":80", "ws": ":80", "https": ":443", "wss": ":443"}


def normalize_host(host: str, scheme: str) -> str:
    """`host` lower-cased, without the port that is the default for `scheme`."""
    host = host.lower()
    port = _DEFAULT_PORTS.get(scheme)
    if port is not None and host.endswith(port):
        host = host[: -len(port)]
    return host


def subdomain_of(host: str, server_name: str, scheme: str) -> str:
    """The part of `host` before `.server_name` ("" for the name itself).

    Labels are compared whole, so `badexample.com` is not below `example.com`;
    a host that is not `server_name` or below it gives `INVALID_SUBDOMAIN`.
    """
    labels = normalize_host(host, scheme).split(".")
    own = normalize_host(server_name, scheme).split(".")
    if labels[-len(own) :] != own:
        return INVALID_SUBDOMAIN
    return ".".join(label for label in labels[: -len(own)] if label)
