//! How the portal keeps secrets: passwords as Argon2id hashes, client secrets as salted SHA-256
//! (they are long random strings checked on every call, where a slow hash would cost more than
//! the invoice), tokens by their SHA-256, and session tokens and SEKs sealed with AES-256-GCM
//! under a key derived from the shared auth key, so both portals can unseal them and a copy of
//! the database alone cannot.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

pub use irp_core::irn::hex_lower as hex;

/// SHA-256 of a token, the key sessions are found by.
pub fn token_hash(token: &str) -> String {
    hex(digest(&SHA256, token.as_bytes()).as_ref())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    bytes
}

/// An Argon2id PHC string for a password.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing succeeds")
        .to_string()
}

/// A hash of a password nobody knows, checked in place of a user's when there is no user, or no
/// check is due, so that every refused login costs the same work (issue #15).
pub fn decoy_password_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password(&random_secret(24)));
    &DECOY
}

/// Checks a password against its PHC string.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// `sha256$<salt hex>$<hash hex>` for a client secret.
pub fn hash_client_secret(secret: &str) -> String {
    let salt = hex(&random_bytes::<16>());
    format!(
        "sha256${salt}${}",
        hex(digest(&SHA256, format!("{salt}{secret}").as_bytes()).as_ref())
    )
}

/// Checks a client secret in constant time.
pub fn verify_client_secret(secret: &str, stored: &str) -> bool {
    let mut parts = stored.splitn(3, '$');
    let (Some("sha256"), Some(salt), Some(expected)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let actual = hex(digest(&SHA256, format!("{salt}{secret}").as_bytes()).as_ref());
    verify_slices_are_equal(actual.as_bytes(), expected.as_bytes()).is_ok()
}

/// A random secret of `length` characters from `[A-Za-z0-9]`, for generated client secrets and
/// sandbox passwords.
pub fn random_secret(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(length);
    while out.len() < length {
        for byte in random_bytes::<64>() {
            // 248 = 4 × 62: reject the tail so every character is equally likely.
            if byte < 248 && out.len() < length {
                out.push(ALPHABET[(byte % 62) as usize] as char);
            }
        }
    }
    out
}

/// Seals and unseals session secrets.
pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// Derives the sealing key from secret material shared by all portals (the auth private key).
    pub fn derive(shared_secret: &[u8]) -> Sealer {
        let mut input = b"irp session seal v1\0".to_vec();
        input.extend_from_slice(shared_secret);
        let key_bytes = digest(&SHA256, &input);
        let key = UnboundKey::new(&AES_256_GCM, key_bytes.as_ref()).expect("32-byte key");
        Sealer {
            key: LessSafeKey::new(key),
        }
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::empty(),
                &mut sealed,
            )
            .expect("sealing succeeds");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn unseal(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut buffer)
            .ok()?;
        Some(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_client_secrets_verify_and_fail() {
        let hash = hash_password("s3cret!");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("s3cret!", &hash));
        assert!(!verify_password("s3cret", &hash));
        let stored = hash_client_secret("client-secret");
        assert!(verify_client_secret("client-secret", &stored));
        assert!(!verify_client_secret("client-secreT", &stored));
        assert!(!stored.contains("client-secret"));
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let sealer = Sealer::derive(b"shared");
        let sealed = sealer.seal(b"token");
        assert_eq!(sealer.unseal(&sealed).as_deref(), Some(&b"token"[..]));
        assert_eq!(Sealer::derive(b"other").unseal(&sealed), None);
        assert_eq!(sealer.unseal(&sealed[..5]), None);
    }

    #[test]
    fn random_secrets_use_the_alphabet() {
        let secret = random_secret(25);
        assert_eq!(secret.len(), 25);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(secret, random_secret(25));
    }
}
