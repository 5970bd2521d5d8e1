from __future__ import annotations

import base64
import hmac
import os
from typing import Any

import pytest

from ybss.lib.fieldcrypt import (
    _INDEX_PREFIX,
    INDEX_HEX_CHARS,
    DecryptError,
    KeyConfigError,
    KeyRing,
    derive_index_key,
    generate_index_key_string,
    generate_key_string,
    token_key_id,
)

ID_CONTEXT = "people.Person.id_number"
PHONE_CONTEXT = "people.Person.phone"
KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()
INDEX = base64.b64encode(bytes(range(200, 232))).decode()
INDEX_NEW = base64.b64encode(bytes(range(50, 90))).decode()
PLAIN = "11010519491231002X"


def ring(field_key: str = f"k1:{KEY_A}", index_key: str | None = INDEX) -> KeyRing:
    return KeyRing.from_strings(field_key, index_key)


def flip(token: str, position: int) -> str:
    """The token with one ciphertext byte changed, still well-formed."""
    head, payload = token.rsplit(":", 1)
    blob = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    blob[position] ^= 0x01
    return f"{head}:{base64.urlsafe_b64encode(bytes(blob)).rstrip(b'=').decode()}"


@pytest.mark.parametrize("plain", [PLAIN, "13812345678", "张三·阿卜杜拉 🙂", "", "x" * 1000])
def test_round_trip(plain: str) -> None:
    keys = ring()
    token = keys.encrypt(plain, ID_CONTEXT)
    assert token.isascii()
    assert token.startswith("v1:k1:")
    assert plain not in token or not plain
    assert keys.decrypt(token, ID_CONTEXT) == plain


def test_fresh_nonce_each_time() -> None:
    keys = ring()
    tokens = {keys.encrypt(PLAIN, ID_CONTEXT) for _ in range(50)}
    assert len(tokens) == 50
    assert len({t.split(":")[2][:16] for t in tokens}) == 50


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])
def test_tampering_detected(position: int) -> None:
    keys = ring()
    token = keys.encrypt(PLAIN, ID_CONTEXT)
    with pytest.raises(DecryptError) as info:
        keys.decrypt(flip(token, position), ID_CONTEXT)
    assert info.value.code == "auth"
    assert PLAIN not in str(info.value)


def test_swapped_key_id_refused() -> None:
    keys = ring(f"k1:{KEY_A},k0:{KEY_B}")
    token = keys.encrypt(PLAIN, ID_CONTEXT)
    with pytest.raises(DecryptError):
        keys.decrypt(token.replace("v1:k1:", "v1:k0:"), ID_CONTEXT)


def test_wrong_context_refused() -> None:
    keys = ring()
    token = keys.encrypt(PLAIN, ID_CONTEXT)
    with pytest.raises(DecryptError) as info:
        keys.decrypt(token, PHONE_CONTEXT)
    assert info.value.code == "auth"
    assert PLAIN not in str(info.value)


@pytest.mark.parametrize(
    "token",
    [
        "",
        PLAIN,
        "v1",
        "v1:k1",
        "v1:k1:",
        "v1:k1:AAAA",
        "v1:k 1:" + "A" * 40,
        "v1:k1:" + "A" * 40 + "=",
        "v1:k1:ab+/",
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(DecryptError) as info:
        ring().decrypt(token, ID_CONTEXT)
    assert info.value.code == "format"


def test_future_version_named() -> None:
    token = ring().encrypt(PLAIN, ID_CONTEXT)
    with pytest.raises(DecryptError) as info:
        ring().decrypt("v2" + token[2:], ID_CONTEXT)
    assert info.value.code == "version"


def test_non_canonical_base64_refused() -> None:
    token = ring().encrypt("a", ID_CONTEXT)
    # 29 bytes leave spare bits in the last character; setting one gives a
    # different string that decodes to the same bytes.
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    altered = token[:-1] + alphabet[alphabet.index(last) ^ 1]
    with pytest.raises(DecryptError) as info:
        ring().decrypt(altered, ID_CONTEXT)
    assert info.value.code == "format"


@pytest.mark.parametrize("context", ["", "a\x00b"])
def test_bad_context(context: str) -> None:
    with pytest.raises(ValueError, match="上下文"):
        ring().encrypt(PLAIN, context)
    with pytest.raises(ValueError, match="上下文"):
        ring().blind_index(PLAIN, context)


def test_non_str_plaintext() -> None:
    with pytest.raises(TypeError):
        ring().encrypt(123, ID_CONTEXT)  # type: ignore[arg-type]


def test_rotation() -> None:
    old = ring(f"k0:{KEY_A}")
    old_token = old.encrypt(PLAIN, ID_CONTEXT)
    new = ring(f"k1:{KEY_B},k0:{KEY_A}")
    assert new.current_key_id == "k1"
    assert new.key_ids == ("k1", "k0")
    assert new.token_prefix == "v1:k1:"
    assert new.decrypt(old_token, ID_CONTEXT) == PLAIN
    assert new.needs_rotation(old_token)
    assert token_key_id(old_token) == "k0"

    rotated = new.reencrypt(old_token, ID_CONTEXT)
    assert rotated.startswith(new.token_prefix)
    assert not new.needs_rotation(rotated)
    assert new.decrypt(rotated, ID_CONTEXT) == PLAIN
    assert new.reencrypt(rotated, ID_CONTEXT) == rotated

    # Once the old key is gone, only rotated tokens decrypt.
    final = ring(f"k1:{KEY_B}")
    assert final.decrypt(rotated, ID_CONTEXT) == PLAIN
    assert final.needs_rotation(old_token)
    with pytest.raises(DecryptError) as info:
        final.decrypt(old_token, ID_CONTEXT)
    assert info.value.code == "unknown_key"
    assert "k0" in str(info.value)


def test_reencrypt_authenticates_current_tokens() -> None:
    keys = ring()
    token = keys.encrypt(PLAIN, ID_CONTEXT)
    with pytest.raises(DecryptError):
        keys.reencrypt(flip(token, 15), ID_CONTEXT)
    with pytest.raises(DecryptError):
        keys.reencrypt(token, PHONE_CONTEXT)


def test_blind_index() -> None:
    keys = ring()
    index = keys.blind_index(PLAIN, ID_CONTEXT)
    assert len(index) == INDEX_HEX_CHARS
    assert int(index, 16) >= 0
    assert index == index.lower()
    assert keys.blind_index(PLAIN, ID_CONTEXT) == index
    assert ring().blind_index(PLAIN, ID_CONTEXT) == index
    assert keys.blind_index(PLAIN, PHONE_CONTEXT) != index
    assert keys.blind_index(PLAIN[:-1] + "x", ID_CONTEXT) != index
    assert ring(index_key=INDEX_NEW).blind_index(PLAIN, ID_CONTEXT) != index


def test_blind_index_survives_data_key_rotation() -> None:
    before = ring(f"k0:{KEY_A}").blind_index(PLAIN, ID_CONTEXT)
    assert ring(f"k1:{KEY_B},k0:{KEY_A}").blind_index(PLAIN, ID_CONTEXT) == before
    assert ring(f"k1:{KEY_B}").blind_index(PLAIN, ID_CONTEXT) == before


def test_blind_index_context_separation_is_unambiguous() -> None:
    keys = ring()
    assert keys.blind_index("b", "a") != keys.blind_index("", "ab")
    assert keys.blind_index("c", "a.b") != keys.blind_index("b.c", "a")


def test_index_key_rotation() -> None:
    old = ring().blind_index(PLAIN, ID_CONTEXT)
    rotating = ring(index_key=f"{INDEX_NEW},{INDEX}")
    new = rotating.blind_index(PLAIN, ID_CONTEXT)
    assert new != old
    assert rotating.blind_indexes(PLAIN, ID_CONTEXT) == (new, old)
    assert ring(index_key=INDEX_NEW).blind_indexes(PLAIN, ID_CONTEXT) == (new,)


def test_generated_keys_load() -> None:
    field_key = f"{generate_key_string('2025a')},{generate_key_string('2024_b-1')}"
    keys = KeyRing.from_strings(field_key, generate_index_key_string())
    assert keys.key_ids == ("2025a", "2024_b-1")
    assert keys.decrypt(keys.encrypt(PLAIN, ID_CONTEXT), ID_CONTEXT) == PLAIN
    assert generate_key_string("k") != generate_key_string("k")


def test_generate_key_string_checks_id() -> None:
    with pytest.raises(KeyConfigError) as info:
        generate_key_string("bad id")
    assert info.value.code == "key_id"


def test_whitespace_and_urlsafe_alphabet_tolerated() -> None:
    raw = bytes([0xFB, 0xFF] * 16)
    standard = base64.b64encode(raw).decode()
    assert "+" in standard or "/" in standard
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    one = KeyRing.from_strings(f" k1:{standard} , k0:{KEY_A}\n", INDEX + "\n")
    two = KeyRing.from_strings(f"k1:{urlsafe},k0:{KEY_A}", INDEX)
    assert two.decrypt(one.encrypt(PLAIN, ID_CONTEXT), ID_CONTEXT) == PLAIN


def test_derive_index_key() -> None:
    master = os.urandom(32)
    derived = derive_index_key(master)
    assert len(derived) == 32
    assert derived == derive_index_key(master)
    assert derived != master
    assert derive_index_key(os.urandom(32)) != derived
    keys = KeyRing([("k1", bytes(range(32)))], [derived])
    assert len(keys.blind_index(PLAIN, ID_CONTEXT)) == INDEX_HEX_CHARS
    with pytest.raises(KeyConfigError) as info:
        derive_index_key(b"short")
    assert info.value.code == "length"


SHORT = base64.b64encode(b"s3cr3t-s3cr3t-16").decode()
LONG = base64.b64encode(bytes(range(33))).decode()


@pytest.mark.parametrize(
    ("field_key", "index_key", "code", "words"),
    [
        (None, INDEX, "missing", "YBSS_FIELD_KEY"),
        (f"k1:{KEY_A}", None, "missing", "YBSS_INDEX_KEY"),
        ("", INDEX, "empty", "YBSS_FIELD_KEY 为空"),
        ("  \n", INDEX, "empty", "为空"),
        (f"k1:{KEY_A}", "", "empty", "YBSS_INDEX_KEY 为空"),
        (f"k1:{KEY_A},", INDEX, "empty", "第 2 项为空"),
        (KEY_A, INDEX, "format", "缺少密钥编号"),
        (f"{KEY_A}:k1", INDEX, "key_id", "第 1 项的密钥编号不合法"),
        (f"k1:{KEY_A},密钥:{KEY_B}", INDEX, "key_id", "第 2 项的密钥编号不合法"),
        (f"a_very_long_key_id_x:{KEY_A}", INDEX, "key_id", "密钥编号不合法"),
        (f":{KEY_A}", INDEX, "key_id", "密钥编号不合法"),
        (f"k1:{SHORT}", INDEX, "length", "密钥 k1 长度为 16 字节，应为 32 字节"),
        (f"k1:{LONG}", INDEX, "length", "长度为 33 字节"),
        ("k1:", INDEX, "base64", "k1 不是有效的 base64"),
        ("k1:not base64!!", INDEX, "base64", "k1 不是有效的 base64"),
        (f"k1:{KEY_A[:-2]}*=", INDEX, "base64", "base64"),
        (f"k1:{KEY_A}A", INDEX, "base64", "base64"),
        (f"k1:{KEY_A},k1:{KEY_B}", INDEX, "duplicate", "密钥编号 k1 重复"),
        (f"k1:{KEY_A}", SHORT, "length", "YBSS_INDEX_KEY 第 1 个密钥长度为 16 字节"),
        (f"k1:{KEY_A}", "%%%", "base64", "YBSS_INDEX_KEY 第 1 个密钥不是有效的 base64"),
        (f"k1:{KEY_A}", f"{INDEX},{INDEX}", "duplicate", "YBSS_INDEX_KEY 第 2 个密钥与前面的重复"),
        (f"k1:{KEY_A}", KEY_A, "reuse", "必须独立"),
    ],
)
def test_bad_config(field_key: str | None, index_key: str | None, code: str, words: str) -> None:
    with pytest.raises(KeyConfigError) as info:
        KeyRing.from_strings(field_key, index_key)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.code == code
    assert words in str(error)
    for secret in (KEY_A, KEY_B, INDEX, SHORT, LONG, KEY_A[:20], KEY_B[:20], INDEX[:20], SHORT[:12]):
        assert secret not in str(error)
        assert secret not in repr(error)
    # Chained exceptions end up in tracebacks and error reports too.
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None


def test_repr_hides_keys() -> None:
    keys = ring(f"k1:{KEY_A},k0:{KEY_B}")
    text = repr(keys)
    assert "k1" in text and "k0" in text
    for secret in (KEY_A, KEY_B, INDEX, KEY_A[:12]):
        assert secret not in text


def test_decrypt_errors_hide_plaintext_and_token() -> None:
    keys = ring()
    token = keys.encrypt(PLAIN, ID_CONTEXT)
    for bad, context in ((flip(token, 13), ID_CONTEXT), (token, PHONE_CONTEXT), (token[:-4], ID_CONTEXT)):
        with pytest.raises(DecryptError) as info:
            keys.decrypt(bad, context)
        message = str(info.value)
        assert PLAIN not in message
        assert token.split(":")[2][:12] not in message
        assert info.value.__cause__ is None


def _error(fn: Any, token: Any) -> str | None:
    try:
        fn(token)
    except DecryptError as exc:
        return exc.code
    return None


def test_decryptor_answers_exactly_as_decrypt() -> None:
    """The bulk path (exports) accepts what decrypt accepts and fails with decrypt's errors."""
    keys = ring(f"k1:{KEY_A},k0:{KEY_B}")
    old = ring(f"k0:{KEY_B}").encrypt(PLAIN, ID_CONTEXT)
    fast = keys.decryptor(ID_CONTEXT)
    for plain in [PLAIN, "13812345678", "张三·阿卜杜拉 🙂", "x" * 1000]:
        token = keys.encrypt(plain, ID_CONTEXT)
        assert fast(token) == keys.decrypt(token, ID_CONTEXT) == plain
    assert fast(old) == PLAIN  # under an older key
    token = keys.encrypt("a", ID_CONTEXT)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    payload = token.rsplit(":", 1)[1]
    standard = payload.replace("-", "+").replace("_", "/")
    bad = [
        "",
        PLAIN,
        "v1:k1:",
        "v1:k1:AAAA",
        "v1:k1:" + "A" * 40 + "=",
        "v1:k1:ab+/",
        "v2" + token[2:],
        "v1:k9:" + payload,
        token.replace("v1:k1:", "v1:k0:"),
        token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1],  # non-canonical
        token + "==",
        "v1:k1:" + payload + "\n",
        "v1:k1:" + "ｖ" + payload,
        flip(token, 0),
        flip(token, -1),
    ]
    if standard != payload:
        bad.append("v1:k1:" + standard)  # the standard alphabet is not the token's
    for token_ in bad:
        slow = _error(lambda t: keys.decrypt(t, ID_CONTEXT), token_)
        assert _error(fast, token_) == slow is not None, token_
    assert _error(keys.decryptor(PHONE_CONTEXT), token) == "auth"


@pytest.mark.parametrize("length", [32, 63, 64, 65, 100])
def test_indexer_gives_the_blind_indexes_for_any_key_length(length: int) -> None:
    # The indexer computes HMAC from the key's pads itself; hmac.new is the reference.
    keys = [bytes(range(i, i + length)) for i in (1, 7)]
    ring_ = KeyRing([("k0", base64.b64decode(KEY_A))], keys)
    index = ring_.indexer(ID_CONTEXT)
    for value in (PLAIN, "", "张伟", "x" * 200):
        assert index(value) == ring_.blind_indexes(value, ID_CONTEXT)
        expected = hmac.new(keys[1], _INDEX_PREFIX + ID_CONTEXT.encode() + b"\x00" + value.encode(), "sha256")
        assert index(value)[1] == expected.hexdigest()
