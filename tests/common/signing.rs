//! The key the tests and benches sign interactions with, and Discord's hex encoding of
//! keys and signatures. The benches take this file alone (`#[path]`).

use ed25519_dalek::{Signer, SigningKey};

/// The signing key; its public half is `public_hex()`.
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `DISCORD_PUBLIC_KEY` for `signing_key()`.
pub fn public_hex() -> String {
    hex(&signing_key().verifying_key().to_bytes())
}

/// `X-Signature-Ed25519` for `body` sent at `timestamp`.
pub fn signature(timestamp: &str, body: &[u8]) -> String {
    hex(&signing_key()
        .sign(&[timestamp.as_bytes(), body].concat())
        .to_bytes())
}
