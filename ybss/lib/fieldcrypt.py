"""Encryption at rest for identity and phone numbers, plus blind indexes for exact lookup.

Ciphertext ("token") format, ASCII, fits a TEXT column::

    v1:<key_id>:<base64url(nonce || ciphertext || tag), unpadded>

AES-256-GCM with a random 96-bit nonce per value. The associated data binds
the format version, the key id and a caller-chosen *context* string such as
``"people.Person.id_number"``, so a token copied into another column (or
another row type) does not decrypt. Context strings are therefore part of the
stored data: keep them as constants, never derive them from model or field
names that a refactoring might rename.

Keys come from two settings:

* ``YBSS_FIELD_KEY`` — data keys, ``"kid1:base64key,kid0:base64oldkey"``. The
  first one encrypts; all of them decrypt. To rotate, put a new key in front,
  re-encrypt the rows :meth:`KeyRing.needs_rotation` picks out (their tokens
  do not start with :attr:`KeyRing.token_prefix`), then drop the old key.
* ``YBSS_INDEX_KEY`` — the HMAC key for blind indexes (base64, at least 32
  bytes). It is deliberately independent of the data keys: every stored index
  is a function of it, so changing it means recomputing the index of every
  row. Rotating data keys must never touch it. When it does have to change
  (suspected leak), list the new key first and the old one after it,
  ``"newbase64,oldbase64"``; lookups then search :meth:`KeyRing.blind_indexes`
  (all of them) until a rebuild has rewritten every row's index with
  :meth:`KeyRing.blind_index`, after which the old key is removed.

Blind index: HMAC-SHA256 over the context and the caller-normalized value,
as 64 lowercase hex characters (the full digest; no truncation, so equal
indexes mean equal values for every practical purpose and the column can be
unique where the value is). Identity and phone numbers have little entropy,
so anyone holding the index key can recover values from indexes by brute
force: the index key needs the same protection as the data keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
KEY_BYTES = 32
MIN_INDEX_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_HEX_CHARS = 64
MAX_KEY_ID_CHARS = 16

_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
# Operators paste keys from `openssl rand -base64 32` (standard alphabet) as
# well as from Python's urlsafe helpers, so both alphabets are accepted.
_B64_ANY = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
# Distinct prefixes keep a GCM associated-data string from ever equalling an
# HMAC input, and "\x00" cannot occur in a key id or a context.
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_AAD_PREFIX = b"ybss-fieldcrypt\x00" + VERSION.encode() + b"\x00"
_INDEX_PREFIX = b"ybss-blind-index\x00" + VERSION.encode() + b"\x00"
_HKDF_INFO = b"ybss/fieldcrypt/blind-index/v1"

KeyErrorCode = Literal["missing", "empty", "format", "key_id", "base64", "length", "duplicate", "reuse"]
DecryptErrorCode = Literal["format", "version", "unknown_key", "auth"]


class KeyConfigError(ValueError):
    """Unusable key configuration. The message names the setting and the problem, never key material."""

    def __init__(self, message: str, *, code: KeyErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code: KeyErrorCode = code


class DecryptError(Exception):
    """A token that cannot be decrypted. The message never contains the token or the plaintext."""

    def __init__(self, message: str, *, code: DecryptErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code: DecryptErrorCode = code


def generate_key_string(kid: str) -> str:
    """A fresh ``kid:base64key`` entry for ``YBSS_FIELD_KEY``."""
    _check_key_id(kid, setting="YBSS_FIELD_KEY", position=1)
    return f"{kid}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


def generate_index_key_string() -> str:
    """A fresh value for ``YBSS_INDEX_KEY``."""
    return base64.b64encode(os.urandom(MIN_INDEX_KEY_BYTES)).decode("ascii")


def derive_index_key(master: bytes) -> bytes:
    """The blind-index key derived (HKDF-SHA256) from a dedicated master secret.

    For deployments that want to manage a single secret for indexes. The
    master must be its own long-lived secret, not one of the data keys: the
    data keys rotate, and an index key derived from one of them would change
    with it and orphan every stored index.
    """
    if len(master) < MIN_INDEX_KEY_BYTES:
        raise KeyConfigError(
            f"用于派生索引密钥的主密钥长度为 {len(master)} 字节，至少应为 {MIN_INDEX_KEY_BYTES} 字节",
            code="length",
        )
    hkdf = HKDF(algorithm=hashes.SHA256(), length=MIN_INDEX_KEY_BYTES, salt=None, info=_HKDF_INFO)
    return hkdf.derive(master)


def token_key_id(token: str) -> str:
    """The id of the key a token was encrypted under, without decrypting it."""
    return _parse(token)[0]


class KeyRing:
    """Data keys (first one current) and blind-index keys (first one current)."""

    __slots__ = ("_aeads", "_current", "_index_pads")

    def __init__(self, data_keys: Sequence[tuple[str, bytes]], index_keys: Sequence[bytes]) -> None:
        if not data_keys:
            raise KeyConfigError("YBSS_FIELD_KEY 未配置任何数据密钥", code="empty")
        if not index_keys:
            raise KeyConfigError("YBSS_INDEX_KEY 未配置任何索引密钥", code="empty")
        aeads: dict[str, AESGCM] = {}
        for position, (kid, key) in enumerate(data_keys, start=1):
            _check_key_id(kid, setting="YBSS_FIELD_KEY", position=position)
            if kid in aeads:
                raise KeyConfigError(f"YBSS_FIELD_KEY 中密钥编号 {kid} 重复出现", code="duplicate")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(
                    f"YBSS_FIELD_KEY 中密钥 {kid} 长度为 {len(key)} 字节，应为 {KEY_BYTES} 字节",
                    code="length",
                )
            aeads[kid] = AESGCM(key)
        seen: set[bytes] = set()
        data_set = {key for _, key in data_keys}
        for position, key in enumerate(index_keys, start=1):
            if len(key) < MIN_INDEX_KEY_BYTES:
                raise KeyConfigError(
                    f"YBSS_INDEX_KEY 第 {position} 个密钥长度为 {len(key)} 字节，"
                    f"至少应为 {MIN_INDEX_KEY_BYTES} 字节",
                    code="length",
                )
            if key in seen:
                raise KeyConfigError(f"YBSS_INDEX_KEY 第 {position} 个密钥与前面的重复", code="duplicate")
            # One key doing both jobs would tie the index to data-key rotation
            # and let one leak expose both layers.
            if key in data_set:
                raise KeyConfigError(
                    f"YBSS_INDEX_KEY 第 {position} 个密钥与 YBSS_FIELD_KEY 中的数据密钥相同，两者必须独立",
                    code="reuse",
                )
            seen.add(key)
        self._aeads = aeads
        self._current = data_keys[0][0]
        self._index_pads = tuple(_hmac_pads(key) for key in index_keys)

    @classmethod
    def from_strings(cls, field_key: str | None, index_key: str | None) -> KeyRing:
        """Parse ``YBSS_FIELD_KEY`` and ``YBSS_INDEX_KEY`` values (surrounding whitespace ignored).

        ``None`` is accepted so settings can pass ``os.environ.get(...)``
        straight through and still get a message naming the missing setting.
        """
        if field_key is None:
            raise KeyConfigError("未设置 YBSS_FIELD_KEY", code="missing")
        if index_key is None:
            raise KeyConfigError(
                "未设置 YBSS_INDEX_KEY；索引密钥必须单独配置，不能从数据密钥推导", code="missing"
            )
        data_keys: list[tuple[str, bytes]] = []
        for position, entry in _entries(field_key, setting="YBSS_FIELD_KEY"):
            kid, sep, encoded = entry.partition(":")
            if not sep:
                raise KeyConfigError(
                    f"YBSS_FIELD_KEY 第 {position} 项缺少密钥编号，格式应为 编号:base64密钥", code="format"
                )
            kid = kid.strip()
            _check_key_id(kid, setting="YBSS_FIELD_KEY", position=position)
            key = _decode_key(encoded)
            if key is None:
                raise KeyConfigError(f"YBSS_FIELD_KEY 中密钥 {kid} 不是有效的 base64", code="base64")
            data_keys.append((kid, key))
        index_keys: list[bytes] = []
        for position, entry in _entries(index_key, setting="YBSS_INDEX_KEY"):
            key = _decode_key(entry)
            if key is None:
                raise KeyConfigError(f"YBSS_INDEX_KEY 第 {position} 个密钥不是有效的 base64", code="base64")
            index_keys.append(key)
        return cls(data_keys, index_keys)

    def __repr__(self) -> str:
        indexes = len(self._index_pads)
        return f"KeyRing(current={self._current!r}, key_ids={self.key_ids!r}, index_keys={indexes})"

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._aeads)

    @property
    def token_prefix(self) -> str:
        """Every token under the current key starts with this; rows that don't need re-encrypting.

        Lets a rotation command select its work in SQL (``NOT LIKE prefix || '%'``).
        """
        return f"{VERSION}:{self._current}:"

    def encrypt(self, plaintext: str, context: str) -> str:
        if not isinstance(plaintext, str):
            raise TypeError(f"明文必须是 str，而不是 {type(plaintext).__name__}")
        aad = _aad(self._current, context)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self._current].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return f"{VERSION}:{self._current}:{_b64url(nonce + sealed)}"

    def encryptor(self, context: str) -> Callable[[str], str]:
        """``encrypt`` for many values of one field, as a bulk import writes thousands of them.

        The key, the associated data and the token prefix are worked out once;
        every value still gets its own random nonce, and the tokens are exactly
        what ``encrypt`` makes.
        """
        aead = self._aeads[self._current]
        aad = _aad(self._current, context)
        prefix = f"{VERSION}:{self._current}:"
        urandom = os.urandom

        def seal(plaintext: str) -> str:
            if not isinstance(plaintext, str):
                raise TypeError(f"明文必须是 str，而不是 {type(plaintext).__name__}")
            nonce = urandom(NONCE_BYTES)
            blob = nonce + aead.encrypt(nonce, plaintext.encode("utf-8"), aad)
            return prefix + binascii.b2a_base64(blob, newline=False).translate(_TO_URLSAFE).rstrip(
                b"="
            ).decode("ascii")

        return seal

    def decrypt(self, token: str, context: str) -> str:
        kid, blob = _parse(token)
        aad = _aad(kid, context)
        aead = self._aeads.get(kid)
        if aead is None:
            raise DecryptError(
                f"密钥 {kid} 未配置（已从 YBSS_FIELD_KEY 移除？），无法解密", code="unknown_key"
            )
        try:
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptError("解密失败：密文被篡改、与字段上下文不符或密钥不对", code="auth") from None
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:
            # Only reachable if whoever held the key encrypted non-UTF-8 bytes.
            raise DecryptError("解密结果不是有效的 UTF-8 文本", code="format") from None

    def decryptor(self, context: str) -> Callable[[str], str]:
        """``decrypt`` for many tokens of one field, as an export reads a million of them.

        The associated data is built once per key and a well-formed token is
        split and decoded without the regular expressions and the base64
        module's wrappers, which cost more than the decryption itself. It
        accepts exactly the tokens ``decrypt`` accepts: the payload must be the
        canonical encoding of what it decodes to, which only the URL-safe
        alphabet without padding can be. Anything else (another version, an
        unknown key, a malformed payload, a failed tag) goes through
        ``decrypt``, so the errors are its errors.
        """
        keys = {kid: (aead, _aad(kid, context)) for kid, aead in self._aeads.items()}
        prefix = VERSION + ":"
        skip = len(prefix)

        def open_token(token: str) -> str:
            if type(token) is str and token.startswith(prefix):
                kid, sep, payload = token[skip:].partition(":")
                key = keys.get(kid)
                if key is not None and sep and payload.isascii():
                    raw = payload.encode("ascii")
                    try:
                        blob = binascii.a2b_base64(
                            raw.translate(_FROM_URLSAFE) + b"=" * (-len(raw) % 4), strict_mode=True
                        )
                    except binascii.Error:
                        blob = b""
                    canonical = binascii.b2a_base64(blob, newline=False).translate(_TO_URLSAFE).rstrip(b"=")
                    if len(blob) >= NONCE_BYTES + TAG_BYTES and canonical == raw:
                        aead, aad = key
                        try:
                            return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad).decode("utf-8")
                        except (InvalidTag, UnicodeDecodeError):
                            pass
            return self.decrypt(token, context)

        return open_token

    def needs_rotation(self, token: str) -> bool:
        """True when the token is not under the current key (including keys no longer configured).

        Looks at the token's key id only; raises DecryptError if the token is malformed.
        """
        return _parse(token)[0] != self._current

    def reencrypt(self, token: str, context: str) -> str:
        """The token under the current key; an already-current token comes back unchanged.

        The token is decrypted (so authenticated) either way: a rotation pass
        doubles as an integrity check, and a current token is returned as is
        to avoid rewriting rows for nothing.
        """
        plaintext = self.decrypt(token, context)
        if not self.needs_rotation(token):
            return token
        return self.encrypt(plaintext, context)

    def blind_index(self, value: str, context: str) -> str:
        """The lookup index of an already-normalized value under the current index key."""
        return self.indexer(context)(value)[0]

    def indexer(self, context: str) -> Callable[[str], tuple[str, ...]]:
        """``blind_indexes`` for many values of one field.

        HMAC-SHA256 as ``hmac`` computes it (RFC 2104), from the two SHA-256 states
        of the key's pads: the inner one after the prefix and the context is kept
        and copied for each value (a hash is a stream, so this is the same digest),
        instead of hashing the same prefix again, and without the ``hmac`` module's
        Python wrapper around each step (1.7 µs a value instead of 3.1).
        """
        head = _INDEX_PREFIX + _check_context(context).encode("utf-8") + b"\x00"
        primed = []
        for inner, outer in self._index_pads:
            state = inner.copy()
            state.update(head)
            primed.append((state, outer))

        def index(value: str) -> tuple[str, ...]:
            if not isinstance(value, str):
                raise TypeError(f"索引值必须是 str，而不是 {type(value).__name__}")
            data = value.encode("utf-8")
            out = []
            for state, outer in primed:
                h = state.copy()
                h.update(data)
                mac = outer.copy()
                mac.update(h.digest())
                out.append(mac.hexdigest())
            return tuple(out)

        return index

    def blind_indexes(self, value: str, context: str) -> tuple[str, ...]:
        """The value's index under every configured index key, current first.

        Search with all of them (``index IN (...)``) while an index-key
        rotation is being rebuilt; afterwards there is only one.
        """
        return self.indexer(context)(value)


def _entries(setting_value: str, *, setting: str) -> Iterable[tuple[int, str]]:
    text = setting_value.strip()
    if not text:
        raise KeyConfigError(f"{setting} 为空", code="empty")
    out: list[tuple[int, str]] = []
    for position, raw in enumerate(text.split(","), start=1):
        entry = raw.strip()
        if not entry:
            raise KeyConfigError(f"{setting} 第 {position} 项为空（多余的逗号？）", code="empty")
        out.append((position, entry))
    return out


def _check_key_id(kid: object, *, setting: str, position: int) -> None:
    # The offending id is not echoed: a mangled entry (key pasted before the
    # id, say) could put key material where the id should be.
    if not isinstance(kid, str) or not _KEY_ID.fullmatch(kid):
        raise KeyConfigError(
            f"{setting} 第 {position} 项的密钥编号不合法："
            f"只能用字母、数字、_ 和 -，1 到 {MAX_KEY_ID_CHARS} 个字符",
            code="key_id",
        )


def _decode_key(text: str) -> bytes | None:
    text = text.strip()
    if not _B64_ANY.fullmatch(text):
        return None
    body = text.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        return None


def _check_context(context: object) -> str:
    if not isinstance(context, str) or not context or "\x00" in context:
        raise ValueError("字段上下文必须是非空字符串，且不能包含 NUL 字符")
    return context


def _aad(kid: str, context: str) -> bytes:
    return _AAD_PREFIX + kid.encode("ascii") + b"\x00" + _check_context(context).encode("utf-8")


def _hmac_pads(key: bytes) -> tuple[Any, Any]:
    """SHA-256 after HMAC's inner and outer pad of ``key`` (RFC 2104: a key longer than
    the 64-byte block is hashed first, a shorter one filled with zero bytes)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\x00")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in key)),
        hashlib.sha256(bytes(b ^ 0x5C for b in key)),
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _parse(token: str) -> tuple[str, bytes]:
    if not isinstance(token, str):
        raise DecryptError("密文必须是字符串", code="format")
    version, _, rest = token.partition(":")
    if version != VERSION:
        if version.startswith("v") and version[1:].isdigit():
            raise DecryptError(f"不支持的密文版本 {version}", code="version")
        raise DecryptError("密文格式不正确", code="format")
    kid, sep, payload = rest.partition(":")
    if not sep or not _KEY_ID.fullmatch(kid) or not _B64URL.fullmatch(payload):
        raise DecryptError("密文格式不正确", code="format")
    try:
        blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except binascii.Error:
        raise DecryptError("密文格式不正确", code="format") from None
    # Rejecting non-canonical encodings keeps one ciphertext to one token string.
    if len(blob) < NONCE_BYTES + TAG_BYTES or _b64url(blob) != payload:
        raise DecryptError("密文格式不正确", code="format")
    return kid, blob
