"""Schemathesis hooks of the API fuzzing stage (loaded with SCHEMATHESIS_HOOKS=realname_api_fuzz).

Some rules span two query parameters, which JSON Schema (and so the OpenAPI document) cannot state; the
document says them in words: `from` not after `to`, and for unresolved punches at most 366 days. Here a
positive (schema-valid) case is brought within them, so that "schema-valid request rejected" keeps
meaning what it says; negative cases are left as generated, and every check stays on.

A JSON body with a range of instants (`from`, `to`: a backfill of the gateway) must run forward and span at
most 31 days; a positive case's range is put in order and shortened likewise.

Check characters are beyond JSON Schema too: the resident ID number (GB 11643), the unified social credit
code (GB 32100) and a bank card number (Luhn). A positive case's ID number is replaced by a valid one
derived from it (area 330106, a real birth date), and the last character of a credit code or card
number is set to the right check character.

The stateful phase fills parameters from earlier answers (links the document states, and links
Schemathesis infers by name, e.g. an answer's `region` into the `{region}` of a region route, although
that answer's region may be a two-digit prefix): its cases are brought within the same rules, and a
`{region}` path parameter that is not a six-digit division code is replaced by Hangzhou's (330100).
`asOf` of the absences (a day the streaks run up to) may lie at most a year after today; the day a key
person took the post (`appointedOn`) not after today.

A project's credentials for an uplink target come in the target's own shape (Province B: `appKey`; the
national platform and Zhejiang: `appid` and a 32-character secret), which the document says in words:
a positive case's body is given the shape of its path's target.

`pageToken` is opaque: only a value the service issued is valid, and no generator can make one. A
positive case keeps it only when it reads like one the service issued (the stateful phase follows the
document's next-page links with real ones); a generated string is dropped (the first page).
"""
import base64
import hashlib
import json
import re
from datetime import date, datetime, timedelta

import schemathesis

# Operations with a day range in the query: the most days the range may span (None: no limit).
RANGE_LIMITS = {"unresolved-punches": 366, "key-personnel/presence": 366}
# `asOf` of the absences may lie at most this many days after today (a streak is counted day by day).
AS_OF_AHEAD_DAYS = 366
# Operations whose JSON body is a range of instants `from`-`to`: the most days it may span.
BODY_RANGE_LIMITS = {"/backfills": 31}


_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_CC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def _resident_id(seed):
    """A valid resident ID number derived from any string (same string, same number)."""
    h = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    birth = "%04d%02d%02d" % (1960 + h % 40, 1 + (h >> 8) % 12, 1 + (h >> 16) % 28)
    first17 = "330106" + birth + "%03d" % ((h >> 24) % 1000)
    return first17 + _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def _credit_code(value):
    v = value.strip().upper()
    if len(v) != 18 or any(c not in _CC_ALPHABET for c in v):
        return value
    check = 31 - sum(_CC_ALPHABET.index(c) * w for c, w in zip(v[:17], _CC_WEIGHTS)) % 31
    return v[:17] + _CC_ALPHABET[0 if check == 31 else check]


def _bank_card(value):
    digits = re.sub(r"\s", "", value)
    if not digits.isdigit():
        return value
    body = digits[:-1]
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _check_characters(case):
    """A positive case's ID number, credit code and card number with valid check characters."""
    body = case.body
    if not isinstance(body, dict):
        return
    if isinstance(body.get("idCardNumber"), str):
        body["idCardNumber"] = _resident_id(body["idCardNumber"])
    if isinstance(body.get("creditCode"), str) and case.operation.path.endswith("/enterprises"):
        body["creditCode"] = _credit_code(body["creditCode"])
    card = body.get("wageCard")
    if isinstance(card, dict) and isinstance(card.get("number"), str):
        card["number"] = _bank_card(card["number"])


# Targets whose credentials are an app key and a secret; the other targets' are an appid and a secret.
APP_KEY_TARGETS = {"province-b"}


def _credentials_shape(case):
    """A positive case's credentials body in the shape of its path's target."""
    if not case.operation.path.endswith("/uplinks/{target}/credentials") or not isinstance(case.body, dict):
        return
    path = case.path_parameters if isinstance(case.path_parameters, dict) else {}
    body = case.body
    key = body.get("appid", body.get("appKey"))
    secret = body.get("secret")
    if not isinstance(key, str) or not isinstance(secret, str):
        return
    if path.get("target") in APP_KEY_TARGETS:
        case.body = {"appKey": key, "secret": secret}
    else:
        shaped = {"appid": key, "secret": (secret * 32)[:32]}
        if isinstance(body.get("corpKey"), str):
            shaped["corpKey"] = body["corpKey"]
        case.body = shaped


def _issued_page_token(value):
    """Whether `value` is shaped like a page token of the service: base64url JSON with `t` and `id`."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return False
    return isinstance(decoded, dict) and isinstance(decoded.get("t"), str) and isinstance(decoded.get("id"), str)


def _day(value):
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _instant(value):
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        return None


def _body_range(case):
    """A positive case's body range of instants, in order and within its operation's limit."""
    limit = next((n for key, n in BODY_RANGE_LIMITS.items() if case.operation.path.endswith(key)), None)
    if limit is None or not isinstance(case.body, dict):
        return
    start, end = _instant(case.body.get("from")), _instant(case.body.get("to"))
    if start is None or end is None:
        return
    if start > end:
        start, end = end, start
    try:
        if end - start > timedelta(days=limit) or end - start < timedelta(seconds=1):
            end = start + timedelta(days=1)
    except OverflowError:
        start = end - timedelta(days=1)
    case.body["from"], case.body["to"] = start.isoformat(), end.isoformat()


@schemathesis.hook
def map_case(ctx, case):
    meta = case.meta
    # Stateful cases come without generation metadata: they are built from answers, as positive ones.
    if meta is not None and not meta.generation.mode.is_positive:
        return case
    path = case.path_parameters if isinstance(case.path_parameters, dict) else {}
    if "region" in path and not re.fullmatch(r"\d{6}", str(path["region"])):
        path["region"] = "330100"
    _body_range(case)
    _check_characters(case)
    _credentials_shape(case)
    if isinstance(case.body, dict) and (_day(case.body.get("appointedOn")) or date.min) > date.today():
        case.body["appointedOn"] = date.today().isoformat()
    if not isinstance(case.query, dict):
        return case
    query = case.query
    start, end = _day(query.get("from")), _day(query.get("to"))
    if start and end:
        if start > end:
            start, end = end, start
        limit = next((n for key, n in RANGE_LIMITS.items() if key in case.operation.path), None)
        if limit is not None and (end - start).days + 1 > limit:
            end = start + timedelta(days=limit - 1)
        query["from"], query["to"] = start.isoformat(), end.isoformat()
    as_of = _day(query.get("asOf"))
    if as_of and as_of > date.today() + timedelta(days=AS_OF_AHEAD_DAYS):
        query["asOf"] = date.today().isoformat()
    if query.get("pageToken") and not _issued_page_token(query["pageToken"]):
        del query["pageToken"]
    return case
