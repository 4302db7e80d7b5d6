"""What PyJWT's per-character base64url alphabet check costs, and what a faster one would save.

``python -m authkit.cost.pyjwt_bench`` prints, for a token as jwt_api issues it (HS256,
all the kit's claims): ``jwt.decode_complete`` as jwt_api calls it, PyJWT's segment check
(``PyJWS._decode_base64url_segment`` on the three segments, as ``_load`` calls it), the same
check with the alphabet test done by ``bytes.translate`` in C (everything else identical:
padding rules, the decode, the canonical re-encode), and HMAC-SHA256 + JSON parsing as a
floor. Figures are microseconds (median of repeats, ``time.process_time``) and, with
``--instructions``, user-space instructions counted by callgrind (re-runs itself under it).

The alternative lives only in this benchmark: the app keeps PyJWT's check unchanged.
"""

from __future__ import annotations

import argparse
import binascii
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import jwt
from jwt.api_jws import _BASE64URL_ALPHABET
from jwt.exceptions import DecodeError
from jwt.utils import base64url_decode, base64url_encode

from authkit.cost.parts.tokens import hmac_and_parse


def translate_segment_check(segment: bytes, name: str) -> bytes:
    """PyJWT 2.15's ``_decode_base64url_segment`` with the alphabet test in C."""
    padding = 0
    stripped = segment
    while stripped.endswith(b"="):
        stripped = stripped[:-1]
        padding += 1
        if padding > 2:
            raise DecodeError(f"Invalid {name} padding")
    if padding and len(segment) % 4 != 0:
        raise DecodeError(f"Invalid {name} padding")
    # The only change: delete every alphabet byte in C; anything left is not base64url.
    if len(stripped) % 4 == 1 or stripped.translate(None, _BASE64URL_ALPHABET):
        raise DecodeError(f"Invalid {name} padding")
    try:
        decoded = base64url_decode(stripped)
    except (TypeError, binascii.Error) as err:
        raise DecodeError(f"Invalid {name} padding") from err
    if base64url_encode(decoded) != stripped:
        raise DecodeError(f"Invalid {name} padding")
    return decoded


def sample_token() -> tuple[str, bytes, dict]:
    """A token like jwt_api's access tokens, and how jwt_api decodes it."""
    from jwt_api.keys import hmac_key
    from jwt_api.tokens import ACCESS, REQUIRED_CLAIMS, TokenService

    key = hmac_key("benchmark-secret-benchmark-secret-benchmark")
    from jwt_api.keys import KeySet

    service = TokenService(KeySet.of(key), "authkit", "authkit-api", 900, 86400, 43200, leeway=5)
    token = service.issue_pair("user0000", 0).access_token
    service.verify(token, ACCESS)
    kwargs = {
        "algorithms": [key.algorithm],
        "audience": "authkit-api",
        "issuer": "authkit",
        "leeway": 5,
        "options": {"require": REQUIRED_CLAIMS, "strict_aud": True},
    }
    return token, key.verifying, kwargs  # type: ignore[return-value]


def cases() -> dict[str, Callable[[], object]]:
    token, secret, kwargs = sample_token()
    segments = [s.encode() for s in token.split(".")]
    pyjwt_check = jwt.api_jws.PyJWS._decode_base64url_segment
    for segment in segments:  # both checks accept and decode the same
        assert pyjwt_check(segment, "x") == translate_segment_check(segment, "x")
    return {
        f"jwt.decode_complete ({len(token)}-byte HS256 token)": lambda: jwt.decode_complete(
            token, secret, **kwargs
        ),
        "jwt.get_unverified_header": lambda: jwt.get_unverified_header(token),
        "PyJWT segment checks, 3 segments": lambda: [pyjwt_check(s, "x") for s in segments],
        "same with bytes.translate alphabet test": lambda: [
            translate_segment_check(s, "x") for s in segments
        ],
        "HMAC-SHA256 + JSON parse (floor)": lambda: hmac_and_parse(token, secret),
    }


def time_us(call: Callable[[], object], loops: int = 2000, repeats: int = 7) -> float:
    results = []
    for _ in range(repeats):
        started = time.process_time_ns()
        for _ in range(loops):
            call()
        results.append((time.process_time_ns() - started) / loops / 1000)
    return statistics.median(results)


def count_instructions(calls: dict[str, Callable[[], object]], n: int = 200) -> dict[str, float]:
    from authkit.cost.meters import InstructionMeter, calibrate, measure_loop

    meter = InstructionMeter(os.environ["AUTHKIT_BENCH_CALLGRIND_OUT"])
    meter.begin()
    calibration = calibrate(meter, 0, n) or 0.0
    counts = {}
    for code, (label, call) in enumerate(calls.items(), start=1):
        call()
        counts[label] = ((measure_loop(meter, code, n, call) or 0.0) - calibration) / n
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", action="store_true", help="also count (callgrind)")
    args = parser.parse_args(argv)
    calls = cases()
    if os.environ.get("AUTHKIT_BENCH_CALLGRIND_OUT"):  # the child under callgrind
        for label, count in count_instructions(calls).items():
            print(f"{label}\t{count:.0f}")
        return 0
    print(f"PyJWT {jwt.__version__}, Python {sys.version.split()[0]}")
    timings = {label: time_us(call) for label, call in calls.items()}
    counts: dict[str, str] = {}
    if args.instructions:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "callgrind.out")
            env = {**os.environ, "AUTHKIT_BENCH_CALLGRIND_OUT": out, "PYTHONHASHSEED": "0"}
            done = subprocess.run(
                ["valgrind", "--tool=callgrind", "--quiet", "--instr-atstart=no",
                 "--collect-atstart=no", f"--callgrind-out-file={out}",
                 sys.executable, "-m", "authkit.cost.pyjwt_bench"],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            counts = dict(line.split("\t") for line in done.stdout.splitlines())
    for label, micros in timings.items():
        count = f"{int(counts[label]):>10,} instructions" if label in counts else ""
        print(f"{label:<48} {micros:8.1f} us  {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
