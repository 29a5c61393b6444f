"""``kipu-harness call``: one signed request to a system, printed as it went and as it came back,
for people exploring an API by hand (what ``curl`` cannot do: Kipu's APIAuth signature)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PORTS = {"crm": 8101, "emr": 8102, "rcm": 8103, "payer": 8104}  # `mocks up`'s defaults


def add_parser(commands: Any) -> None:
    call = commands.add_parser(
        "call", help="send one request (signed for the EMR) and print it and the answer",
        description="Send one request to a system and print the request as signed and the answer. EMR requests "
                    "are signed with Kipu's APIAuth: with the profile's credentials, or the mocks' development "
                    "client. SSNs in the answer are printed masked.",
        epilog="example: kipu-harness call emr GET '/api/patients/census?phi_level=high'")
    call.add_argument("system", choices=sorted(PORTS), help="which system")
    call.add_argument("method", type=str.upper, choices=("GET", "POST", "PATCH", "PUT", "DELETE"), metavar="METHOD",
                      help="GET, POST, PATCH, PUT or DELETE")
    call.add_argument("path", help="path and query, e.g. '/api/patients/census?phi_level=high' (app_id is added)")
    where = call.add_mutually_exclusive_group()
    where.add_argument("--profile", metavar="FILE", help="the system's address and credentials from this profile")
    where.add_argument("--url", metavar="URL", help="the system's base URL (default: the mocks' port on 127.0.0.1)")
    call.add_argument("--data", "-d", metavar="JSON", help="a JSON body, or @FILE to read it from a file")
    call.add_argument("--header", "-H", action="append", default=[], metavar="'NAME: VALUE'",
                      help="an extra request header, e.g. -H 'X-Kipu-User: biller' (repeatable)")
    call.add_argument("--unsigned", action="store_true", help="send the request without a signature")


def call(args: argparse.Namespace) -> int:
    import requests

    from .apiauth import DEVELOPMENT, KipuAuth

    if not args.path.startswith("/"):
        raise ValueError(f"path {args.path!r} must start with /")
    base, credential, token = f"http://127.0.0.1:{PORTS[args.system]}", DEVELOPMENT, None
    if args.profile:
        from .target import Profile

        address = Profile.load(args.profile).systems.get(args.system)
        if address is None:
            raise ValueError(f"profile {args.profile} has no [systems.{args.system}]")
        base, credential = address.url, address.signer
        token = address.control_token if address.mocked else None
    elif args.url:
        base = args.url.rstrip("/")
    body = _body(args.data)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token and args.path.startswith("/_mock/"):
        headers["X-Kipu-Mock-Token"] = token  # the profile's control token, for a mock's control routes
    for header in args.header:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"--header {header!r}: expected 'NAME: VALUE'")
        headers[name.strip()] = value.strip()
    request = requests.Request(args.method, base + args.path, data=body, headers=headers)
    session = requests.Session()
    if args.system == "emr" and credential is not None and not args.unsigned:
        request.auth = KipuAuth(credential)
    prepared = session.prepare_request(request)
    # The request and the status go to stderr, the answer's body to stdout: pipe it to jq.
    print(f"> {prepared.method} {prepared.path_url}", file=sys.stderr)
    for name in ("Content-Type", "Content-MD5", "Date", "Authorization"):
        if name in prepared.headers:
            print(f"> {name}: {prepared.headers[name]}", file=sys.stderr)
    try:
        response = session.send(prepared, timeout=30)
    except requests.RequestException as exc:
        raise ValueError(f"{base} did not answer: {type(exc).__name__}") from None
    print(f"< {response.status_code} {response.reason}", file=sys.stderr, flush=True)
    try:
        print(json.dumps(masked(response.json())))
    except ValueError:
        from .phi import mask_ssn

        print(mask_ssn(response.text))
    return 0 if response.status_code < 400 else 1


def _body(data: str | None) -> bytes | None:
    if data is None:
        return None
    text = Path(data[1:]).read_text() if data.startswith("@") else data
    try:
        json.loads(text)
    except ValueError as exc:
        raise ValueError(f"--data is not JSON: {exc}") from None
    return text.encode()


def masked(value: Any) -> Any:
    """The answer with every SSN shown as ***-**-1234 (the last four digits): kipu_harness.phi."""
    from .phi import mask_data

    return mask_data(value)
