"""The checkpoints' Ed25519 key: GONGZHI_SIGNING_KEY (base64 of the 32 raw private-key bytes, or a PEM PKCS#8
private key) or the data folder's `signing_key` file (backend/config.py)."""
from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.audit.verifier import checkpoint_message


class Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()  # what verifiers are given
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        self.public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @classmethod
    def load(cls, text: str) -> Signer | None:
        """The signer of a configured key; None for ""; ValueError for a key that is neither form."""
        text = text.strip()
        if not text:
            return None
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("GONGZHI_SIGNING_KEY is a PEM key but not an Ed25519 one")
            return cls(key)
        try:
            raw = base64.b64decode(text, validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != 32:
            raise ValueError("GONGZHI_SIGNING_KEY must be base64 of 32 bytes or a PEM PKCS#8 Ed25519 private key")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def sign(self, tree_size: int, root_hex: str, timestamp: str) -> str:
        return base64.b64encode(self.key.sign(checkpoint_message(tree_size, root_hex, timestamp))).decode()
