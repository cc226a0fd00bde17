"""Bearer tokens: HS256 JWTs with claims sub, role, scope, iat and exp, each required with its type, and
`org`, the actor's organization (所属单位, e.g. "区民政局"), which every event then records; optional."""
from __future__ import annotations

import time

import jwt

from backend.domain import values
from backend.domain.access import Actor, Role
from backend.domain.errors import InvalidInput, Unauthenticated

ALGORITHM = "HS256"
#: Every claim a token must carry, with its JSON type: a token without `scope` is no token for the whole province.
CLAIMS: dict[str, type] = {"sub": str, "role": str, "scope": str, "iat": int, "exp": int}
VERIFIED_CACHE = 10_000  # tokens whose signature and claims were checked, until they expire

_verified: dict[tuple[str, str], tuple[Actor, float]] = {}


#: Longest organization name a token may carry.
MAX_ORGANIZATION = 200


def issue(secret: str, actor_id: str, role: Role, scope: str, ttl_s: int = 30 * 24 * 3600,
          organization: str | None = None) -> str:
    values.scope_prefix(scope)
    values.identifier(actor_id, "actor")  # what every command checks: no token is made that could not act
    now = int(time.time())
    claims: dict[str, object] = {"sub": actor_id, "role": role.value, "scope": scope, "iat": now, "exp": now + ttl_s}
    if organization is not None:
        claims["org"] = values.text(organization, "organization", MAX_ORGANIZATION)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def actor_from_header(secret: str, authorization: str | None) -> Actor:
    """The actor of an `Authorization: Bearer <jwt>` value; Unauthenticated if none or bad."""
    if not authorization:
        raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    token = token.strip()
    known = _verified.get((secret, token))
    if known is not None and time.time() < known[1]:
        return known[0]  # a phone sends the same token with every request: verify it once
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": list(CLAIMS)})
        if not all(type(claims[name]) is kind for name, kind in CLAIMS.items()):
            raise ValueError("a claim of the wrong type")
        role = Role(claims["role"])
        scope = values.scope_prefix(claims["scope"])
        organization = claims.get("org")
        if organization is not None:
            organization = values.text(organization, "organization", MAX_ORGANIZATION)
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except (jwt.InvalidTokenError, KeyError, ValueError, InvalidInput):
        raise Unauthenticated("the token is invalid") from None
    actor = Actor(id=str(claims["sub"]), role=role, scope=scope, organization=organization)
    if len(_verified) >= VERIFIED_CACHE:
        del _verified[next(iter(_verified))]
    _verified[(secret, token)] = (actor, float(claims["exp"]))
    return actor
