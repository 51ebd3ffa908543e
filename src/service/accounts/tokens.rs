//! Opaque secrets sent to people (email links, refresh tokens): random, and stored only hashed.

use base64::Engine;
use rand::RngCore;

/// 256 random bits, URL-safe.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 is enough here: the token has 256 bits of entropy, nothing to brute-force.
pub fn hash(token: &str) -> String {
    crate::domain::digest::sha256_hex(token.as_bytes())
}
