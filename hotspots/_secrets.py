"""Store addresses for people: database passwords masked wherever an address is shown.

A PostGIS store is named by a URL that may carry its password: in the
userinfo (``postgresql://me:secret@host/db``, where an unencoded ``@`` may be
part of the password), in a query value (``?password=secret``,
``sslpassword=``), or in a libpq keyword string (``host=h password=secret``,
``PGPASSWORD=secret``). :func:`redact_address` is the one function that
renders such an address for a page, a log line, the CLI's ``store:`` line or an
error; :func:`redact_text` removes a known address's password (and any part of
it) from other text, such as a driver's error message. :func:`connection_url`
percent-encodes a password written with a bare ``@`` so that the driver reads
the address the way a person means it.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

#: What a password is replaced by.
MASK = "***"
_SECRET_KEYS = r"[\w.-]*(?:password|passwd|passphrase|secret|token)[\w.-]*"
#: ``key=value`` with a secret-looking key: a query value, a libpq keyword or an env setting.
_KEY_VALUE = re.compile(
    rf"(?P<key>(?<![\w.-]){_SECRET_KEYS})(?P<eq>\s*=\s*)"
    r"(?P<value>'(?:[^'\\]|\\.)*'?|\"(?:[^\"\\]|\\.)*\"?|[^\s&;#]*)",
    re.IGNORECASE,
)
_URL_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>.*)$", re.DOTALL)


def _userinfo_end(rest: str) -> int:
    """Where the userinfo of ``rest`` (a URL after ``scheme://``) ends: its last ``@``, or -1.

    The userinfo runs to the last ``@`` before the query, so a password holding
    a bare ``@`` (or ``/``) is still all password. A ``?`` inside the password
    is allowed too: the query then has no ``=`` before the next ``@``.
    """
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    if at < 0 and query >= 0:
        later = rest.rfind("@")
        if later > query and "=" not in rest[query:later]:
            at = later
    return at


def _split_url(text: str) -> tuple[str, str, str, str] | None:
    """``(scheme://, user, password or None, rest after @)`` of a URL with userinfo."""
    match = _SCHEME.match(text)
    if not match:
        return None
    rest = match["rest"]
    at = _userinfo_end(rest)
    if at < 0:
        return None
    user, colon, password = rest[:at].partition(":")
    return match["scheme"], user, password if colon else None, rest[at + 1 :]


def redact_address(target: str | Path | None) -> str:
    """A store path or database URL as shown to people: every password masked.

    Parameters
    ----------
    target : str or Path
        A GeoPackage path, a ``postgresql://`` URL or a libpq keyword string.

    Returns
    -------
    str
        The same text with the password of the userinfo, and every value of a
        ``password``-like key (``password=``, ``sslpassword=``, ``PGPASSWORD=``),
        replaced by ``***``. A path comes back unchanged.

    Examples
    --------
    >>> redact_address("postgresql://me:p@ss@db.example/asb?sslmode=require")
    'postgresql://me:***@db.example/asb?sslmode=require'
    >>> redact_address("postgresql://db.example/asb?user=me&password=secret")
    'postgresql://db.example/asb?user=me&password=***'
    >>> redact_address("host=db.example password=secret"), redact_address("store.gpkg")
    ('host=db.example password=***', 'store.gpkg')
    """
    text = "" if target is None else str(target)
    parts = _split_url(text)
    if parts is not None:
        scheme, user, password, rest = parts
        shown_user = user if password is None else f"{user}:{MASK}"
        text = f"{scheme}{shown_user}@{rest}"
    return _KEY_VALUE.sub(lambda m: f"{m['key']}{m['eq']}{MASK}", text)


def secrets_of(target: str | Path | None) -> list[str]:
    """The passwords written in ``target``, as written and decoded, longest first.

    Examples
    --------
    >>> secrets_of("postgresql://me:p%40ss@h/db?password=two")
    ['p%40ss', 'p@ss', 'two']
    >>> secrets_of("store.gpkg")
    []
    """
    text = "" if target is None else str(target)
    found: list[str] = []
    parts = _split_url(text)
    if parts is not None and parts[2]:
        found.append(parts[2])
    for match in _KEY_VALUE.finditer(text):
        found.append(match["value"].strip("'\""))
    out = {s for value in found if value for s in (value, unquote(value))}
    return sorted(out, key=lambda s: (-len(s), s))


def redact_text(text: str, *targets: str | Path | None) -> str:
    """``text`` with the passwords of ``targets`` (and of any address in it) masked.

    For an error message that may quote the address or a piece of it. An
    address in the text goes through :func:`redact_address` (user, host and
    database stay readable). Elsewhere every password of ``targets`` is masked
    wherever it appears, and so is the tail a driver shows as a host name when
    it split ``me:p@ss@host`` at the first ``@`` (``ss@host``). A password
    that is also an ordinary word (a user name) is masked there too: more is
    hidden, never less.

    Examples
    --------
    >>> url = "postgresql://me:hid@den-pass@db.example/asb"
    >>> redact_text('could not translate host name "den-pass@db.example"', url)
    'could not translate host name "***@db.example"'
    >>> redact_text("no store at " + url + "; password=hid@den-pass", url)
    'no store at postgresql://me:***@db.example/asb; password=***'
    """
    whole: set[str] = set()
    tails: set[str] = set()
    for target in targets:
        for secret in secrets_of(target):
            whole.add(secret)
            tails.update(secret[i + 1 :] + "@" for i, c in enumerate(secret) if c == "@")
    tails.discard("@")

    def plain(part: str) -> str:
        for piece in sorted(whole | tails, key=len, reverse=True):
            part = part.replace(piece, MASK + "@" if piece in tails else MASK)
        return _KEY_VALUE.sub(lambda m: f"{m['key']}{m['eq']}{MASK}", part)

    out, last = [], 0
    for match in _URL_WORD.finditer(str(text)):
        out += [plain(str(text)[last : match.start()]), redact_address(match.group(0))]
        last = match.end()
    out.append(plain(str(text)[last:]))
    return "".join(out)


def connection_url(url: str) -> str:
    """``url`` with its password percent-encoded, so a bare ``@`` in it reaches the driver intact.

    libpq splits the userinfo at its *first* ``@``: ``me:p@ss@host`` would be
    user ``me``, password ``p`` and host ``ss@host``. A person writing that
    means the password ``p@ss``; this returns ``me:p%40ss@host``. An address
    with no password, or one already encoded, comes back unchanged.

    Examples
    --------
    >>> connection_url("postgresql://me:p@ss@db.example/asb")
    'postgresql://me:p%40ss@db.example/asb'
    >>> connection_url("postgresql://me:p%40ss@db.example/asb")
    'postgresql://me:p%40ss@db.example/asb'
    """
    parts = _split_url(url)
    if parts is None or parts[2] is None:
        return url
    scheme, user, password, rest = parts
    return f"{scheme}{user}:{quote(unquote(password), safe='')}@{rest}"
